// The owner's pin (pages/owner.py): a click on the map or a dropped marker moves the point.
// The map runs in a sandboxed frame (coworking_app/maps.py) and posts {type: "cw-pick", lat,
// lon}. Only messages from a map frame of this page that has a pick input count: the frame
// [data-testid=X] fills the input [data-testid=X-pick] with "lat,lon", through the native
// value setter, so React (and the Reflex state) see an ordinary edit of that input.
(function () {
  if (window.cwMapPick) return;
  window.cwMapPick = true;
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.type !== 'cw-pick' || typeof d.lat !== 'number' || typeof d.lon !== 'number' ||
        !isFinite(d.lat) || !isFinite(d.lon)) return;
    var frames = document.querySelectorAll('iframe[data-testid]');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== e.source) continue;
      var input = document.querySelector('[data-testid="' + frames[i].getAttribute('data-testid') + '-pick"]');
      if (!input) return;
      setValue.call(input, Number(d.lat).toFixed(6) + ',' + Number(d.lon).toFixed(6));
      input.dispatchEvent(new Event('input', {bubbles: true}));
      return;
    }
  });
})();
