import sys

from coworking_app.bot.app import main

sys.exit(main())
