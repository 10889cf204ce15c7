// The owner's space editor (pages/owner.py): a click on the map fills latitude and
// longitude. The map runs in a sandboxed frame (coworking_app/maps.py) and posts
// {type: "cw-pick", lat, lon}; only messages from that very frame are taken. The inputs are
// set through the native value setter, so React (and the Reflex state) see an ordinary edit.
(function () {
  if (window.cwMapPick) return;
  window.cwMapPick = true;
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  window.addEventListener('message', function (e) {
    var frame = document.querySelector('[data-testid=editor-map]');
    if (!frame || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (!d || d.type !== 'cw-pick' || !isFinite(d.lat) || !isFinite(d.lon)) return;
    [['[data-testid=edit-lat]', d.lat], ['[data-testid=edit-lon]', d.lon]].forEach(function (p) {
      var input = document.querySelector(p[0]);
      if (!input) return;
      setValue.call(input, Number(p[1]).toFixed(6));
      input.dispatchEvent(new Event('input', {bubbles: true}));
    });
  });
})();
