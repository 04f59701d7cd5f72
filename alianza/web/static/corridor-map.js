/* The corridor map (console/pages/corridor_map.py): Leaflet over the country outlines the
   node serves, no tile server. The data is the page's JSON island; the table under the
   map holds the same figures for those who do not see the map. */
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("mapa-corredor");
    var island = document.getElementById("datos-mapa");
    if (!box || !island || typeof L === "undefined") { return; }
    var stops = JSON.parse(island.textContent);
    var map = L.map(box, { zoomSnap: 0.25, attributionControl: false, keyboard: true });
    map.fitBounds([[-36, -82], [12, -64]]);
    fetch(box.dataset.outlines, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (world) {
        if (world) {
          L.geoJSON(world, { style: { color: "#6b7682", weight: 1, fillColor: "#eef1f4", fillOpacity: 1 } })
            .addTo(map).bringToBack();
        }
      });
    var road = stops.filter(function (s) { return s.overland; }).map(function (s) { return [s.lat, s.lon]; });
    L.polyline(road, { color: "#0b4f8a", weight: 3 }).addTo(map);
    var colours = { city: "#0b4f8a", border: "#a4161a", reception: "#146c2e" };
    stops.forEach(function (s) {
      var radius = 5 + Math.min(20, Math.sqrt(s.transit || 0) * 2);
      var text = s.name + " — " + box.dataset.labelTransit + ": " + s.transit +
        (s.capacity !== null ? " · " + box.dataset.labelCapacity + ": " + s.capacity : "");
      L.circleMarker([s.lat, s.lon], {
        radius: radius, color: colours[s.kind] || "#1b1f24", weight: 2, fillOpacity: 0.55
      }).bindTooltip(text).addTo(map);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
