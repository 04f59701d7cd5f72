/* alianza console maps: Leaflet over the country outlines shipped with the project (no
   tile server). An element with data-map="seizures|network" and data-src (its GeoJSON,
   behind the page's own route) becomes a map; the page gives the same figures as a table.
   Keyboard: Leaflet's own (Tab to the map, arrows pan, + and - zoom). */
(function () {
  "use strict";
  var OUTLINE = { color: "#7b8794", weight: 0.6, fillColor: "#eef1f4", fillOpacity: 1 };

  function get(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }

  function number(value) {
    return Math.round(value).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "es-CL");
  }

  function seizures(map, data, el) {
    var top = 1;
    data.features.forEach(function (f) { top = Math.max(top, f.properties.kilograms); });
    var layer = L.geoJSON(data, {
      pointToLayer: function (f, at) {
        return L.circleMarker(at, {
          radius: 4 + 22 * Math.sqrt(f.properties.kilograms / top),
          color: "#8a1c1f", weight: 1, fillColor: "#c0392b", fillOpacity: 0.55
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(
          "<strong>" + number(p.kilograms) + " " + text(el.dataset.labelKg || "kg") + "</strong><br>" +
          number(p.seizures) + " " + text(el.dataset.labelCount || "") +
          (p.ports.length ? "<br>" + text(p.ports.join(", ")) : "") +
          "<br>" + text(p.substances.join(", "))
        );
      }
    }).addTo(map);
    if (data.features.length) { map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 6 }); }
  }

  function width(flow, top) { return flow > 0 ? 0.8 + 7 * Math.sqrt(flow / top) : 0; }

  function network(map, data, el) {
    var labels = JSON.parse(el.dataset.labels || "{}");
    var lines = data.features.filter(function (f) { return f.geometry && f.properties.from; });
    var places = data.features.filter(function (f) { return f.geometry && f.geometry.type === "Point"; });
    var planned = lines.some(function (f) { return f.properties.flow_after !== null; });
    var top = 1;
    lines.forEach(function (f) {
      top = Math.max(top, f.properties.flow_before || 0, f.properties.capacity || 0);
    });
    function layer(items, style) {
      return L.geoJSON({ type: "FeatureCollection", features: items }, {
        style: style,
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup(text(p.from) + " → " + text(p.to) +
            (p.flow_before !== null ? "<br>" + text(labels.before || "") + ": " + number(p.flow_before) + " kg" : "") +
            (p.flow_after !== null ? "<br>" + text(labels.after || "") + ": " + number(p.flow_after) + " kg" : ""));
        }
      });
    }
    var overlays = {};
    var before = layer(lines.filter(function (f) { return planned ? f.properties.flow_before > 0 : true; }), function (f) {
      var p = f.properties;
      var flow = planned ? p.flow_before : (p.capacity || 0);
      return { color: "#6b7682", weight: Math.max(0.5, width(flow, top)), opacity: 0.6 };
    });
    overlays[labels.before || "before"] = before;
    if (planned) {
      var after = layer(lines.filter(function (f) { return f.properties.flow_after > 0; }), function (f) {
        return { color: "#0b4f8a", weight: width(f.properties.flow_after, top), opacity: 0.85 };
      });
      overlays[labels.after || "after"] = after;
      var cut = lines.filter(function (f) { return f.properties.controlled; });
      var cutPlaces = places.filter(function (f) { return f.properties.controlled; });
      var controls = L.layerGroup([
        layer(cut, function () { return { color: "#a4161a", weight: 6, dashArray: "8 4" }; }),
        // A ring at each controlled link's middle: a short link is still seen at zoom 3.
        L.layerGroup(cut.map(function (f) {
          var line = f.geometry.type === "LineString" ? f.geometry.coordinates : f.geometry.coordinates[0];
          var a = line[0], b = line[line.length - 1];
          return L.circleMarker([(a[1] + b[1]) / 2, (a[0] + b[0]) / 2],
            { radius: 8, color: "#a4161a", weight: 3, fill: false, interactive: false });
        })),
        L.geoJSON({ type: "FeatureCollection", features: cutPlaces }, {
          pointToLayer: function (f, at) {
            return L.circleMarker(at, { radius: 7, color: "#a4161a", weight: 3, fillColor: "#fff", fillOpacity: 1 })
              .bindPopup(text(f.properties.name));
          }
        })
      ]);
      overlays[labels.controlled || "controlled"] = controls;
      after.addTo(map);
      controls.addTo(map);
    } else {
      before.addTo(map);
    }
    var dots = L.geoJSON({ type: "FeatureCollection", features: places }, {
      pointToLayer: function (f, at) {
        var big = f.properties.kind !== "transit";
        return L.circleMarker(at, { radius: big ? 3 : 1.5, color: big ? "#146c2e" : "#4a5560", weight: 1, fillOpacity: 0.8 })
          .bindPopup(text(f.properties.name) + " (" + text(f.properties.country) + ")");
      }
    });
    overlays[labels.places || "places"] = dots;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    map.setView([-5, -70], 3);
  }

  var KINDS = { seizures: seizures, network: network };

  function init(el) {
    if (el.dataset.ready || typeof L === "undefined") { return; }
    el.dataset.ready = "1";
    var map = L.map(el, { attributionControl: false, worldCopyJump: false, minZoom: 2, maxZoom: 9 });
    map.setView([-10, -70], 3);
    get(el.dataset.outlines)
      .then(function (outlines) {
        L.geoJSON(outlines, { style: OUTLINE, interactive: false }).addTo(map);
        return get(el.dataset.src);
      })
      .then(function (data) { KINDS[el.dataset.map](map, data, el); el.dataset.loaded = "1"; })
      .catch(function (err) { el.dataset.failed = String(err); });
  }

  function all(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-map]"), init);
  }

  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:afterSettle", function (e) { all(e.target); });
})();
