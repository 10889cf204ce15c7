// The search page's live map (pages/live_map.py wraps it for Reflex): react-leaflet on the
// Leaflet that npm installs into the build; its stylesheet is served from /leaflet/.
//
// It only shows what the page state gives it (clusters, price pins, the person's point) and
// tells the state what the person does: the view after a move (bbox, zoom, and whether the
// person moved it), a click on the map (a point), a click on a pin (a space). User text
// (names) is rendered by React as text; the pins' HTML holds only numbers and the price,
// escaped. Tiles come through the app's /tiles/ (they may fail: the map stays usable, with
// a plain background, pins, clusters and zoom buttons).
import { useEffect, useMemo, useRef } from "react";
import { Circle, MapContainer, Marker, Popup, TileLayer, ZoomControl, useMap, useMapEvents } from "react-leaflet";
import L from "leaflet";

const MAX_SPAN_LON = 60;
const MAX_SPAN_LAT = 30;
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function parseBox(text) {
  const parts = String(text || "").split(",").map(Number);
  return parts.length === 4 && parts.every(Number.isFinite) ? parts : null;
}

// The visible box as "west,south,east,north", or "" when it is larger than a search may ask
// for (the whole country on a phone): the server then answers for everything.
function viewBox(map) {
  const b = map.getBounds();
  const west = Math.max(-180, b.getWest());
  const east = Math.min(180, b.getEast());
  const south = Math.max(-85, b.getSouth());
  const north = Math.min(85, b.getNorth());
  if (east - west > MAX_SPAN_LON || north - south > MAX_SPAN_LAT || west >= east || south >= north) {
    return "";
  }
  return [west, south, east, north].map((v) => v.toFixed(6)).join(",");
}

function Watcher({ fit, fitKey, onView, onPick }) {
  const map = useMap();
  const fitting = useRef(false);
  const handlers = useRef({ onView, onPick });
  handlers.current = { onView, onPick };

  const report = (user) => {
    if (handlers.current.onView) {
      handlers.current.onView({ bbox: viewBox(map), zoom: map.getZoom(), user });
    }
  };

  useEffect(() => {
    const box = parseBox(fit);
    fitting.current = true;
    if (box) {
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { animate: false, maxZoom: 16, padding: [28, 28] });
    }
    fitting.current = false;
    report(false);
    // Only a new fitKey moves the map: new clusters or pins never do.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fitKey]);

  // The map's box changes size (a message above it, the sticky column): Leaflet must know,
  // or its middle and its tiles stay where the old size put them.
  useEffect(() => {
    if (typeof ResizeObserver === "undefined") return undefined;
    const observer = new ResizeObserver(() => {
      const before = map.getSize();
      fitting.current = true;  // not the person's move: no "Искать в этой области"
      map.invalidateSize({ pan: false });
      fitting.current = false;
      if (!before.equals(map.getSize())) report(false);
    });
    observer.observe(map.getContainer());
    return () => observer.disconnect();
  }, [map]);

  useMapEvents({
    moveend() {
      if (!fitting.current) report(true);
    },
    click(e) {
      if (handlers.current.onPick) {
        handlers.current.onPick({ lat: e.latlng.lat, lon: e.latlng.lng });
      }
    },
  });
  return null;
}

// The map's own words in both languages (the page passes its language as `lang`).
const WORDS = {
  ru: {
    spaces: (n) => {
      const n10 = n % 10, n100 = n % 100;
      return `${n} ${n10 === 1 && n100 !== 11 ? "пространство"
        : n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14) ? "пространства" : "пространств"}`;
    },
    closer: "показать ближе", from: "от", open: "Открыть", zoomIn: "Приблизить", zoomOut: "Отдалить",
    credit: "&copy; участники OpenStreetMap",
  },
  en: {
    spaces: (n) => `${n} ${n === 1 ? "space" : "spaces"}`,
    closer: "zoom in", from: "from", open: "Open", zoomIn: "Zoom in", zoomOut: "Zoom out",
    credit: "&copy; OpenStreetMap contributors",
  },
};

function clusterIcon(count, active) {
  const size = count < 10 ? 34 : count < 100 ? 40 : count < 1000 ? 46 : 54;
  const label = count >= 10000 ? `${Math.floor(count / 1000)}k` : String(count);
  return L.divIcon({
    className: "cw-marker",
    html: `<div class="cw-cluster${active ? " cw-active" : ""}" data-count="${escapeHtml(count)}" `
      + `style="width:${size}px;height:${size}px"><span>${escapeHtml(label)}</span></div>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}

function pinIcon(pin, active) {
  const label = pin.price_label || "•";
  return L.divIcon({
    className: "cw-marker",
    html: `<div class="cw-pin${active ? " cw-active" : ""}" data-space="${escapeHtml(pin.id)}">`
      + `${escapeHtml(label)}</div>`,
    iconSize: null,
    iconAnchor: [0, 0],
  });
}

const pointIcon = L.divIcon({
  className: "cw-marker",
  html: '<div class="cw-point" data-testid="map-point"></div>',
  iconSize: [22, 22],
  iconAnchor: [11, 11],
});

function inside(box, lat, lon) {
  const b = parseBox(box);
  return b && lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
}

function Cluster({ cluster, active, words }) {
  const map = useMap();
  const icon = useMemo(() => clusterIcon(cluster.count, active), [cluster.count, active]);
  return (
    <Marker
      position={[cluster.lat, cluster.lon]}
      icon={icon}
      zIndexOffset={active ? 1000 : 0}
      keyboard={true}
      title={`${words.spaces(cluster.count)}: ${words.closer}`}
      eventHandlers={{
        click: () => {
          const b = parseBox(cluster.bbox);
          if (b) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 18 });
        },
      }}
    />
  );
}

function Pin({ pin, active, onPin, words }) {
  const icon = useMemo(() => pinIcon(pin, active), [pin.id, pin.price_label, active]);
  return (
    <Marker
      position={[pin.lat, pin.lon]}
      icon={icon}
      zIndexOffset={active ? 1000 : 0}
      keyboard={true}
      title={pin.name}
      eventHandlers={{ click: () => onPin && onPin(pin.id) }}
    >
      <Popup closeButton={true} autoPan={true}>
        <div className="cw-popup">
          <b>{pin.name}</b>
          {pin.price_label ? <div>{words.from} {pin.price_label}</div> : null}
          <a href={`/spaces/${pin.id}`}>{words.open}</a>
        </div>
      </Popup>
    </Marker>
  );
}

export function LiveMap({
  clusters = [],
  pins = [],
  highlighted = 0,
  highlightLat = null,
  highlightLon = null,
  point = null,
  radiusM = 0,
  fit = "",
  fitKey = 0,
  onView,
  onPick,
  onPin,
  lang = "ru",
  ...rest
}) {
  const words = WORDS[lang === "en" ? "en" : "ru"];
  const box = parseBox(fit) || [30, 54, 84, 61];
  // Only test ids, ARIA and the element id reach the element (style props stay Reflex's).
  const attrs = Object.fromEntries(Object.entries(rest).filter(
    ([k]) => k === "id" || k.startsWith("data-") || k.startsWith("aria-")));
  const hasPoint = Array.isArray(point) && point.length === 2 && point.every(Number.isFinite);
  return (
    <div className="cw-live-map" {...attrs}>
      <MapContainer
        bounds={[[box[1], box[0]], [box[3], box[2]]]}
        style={{ width: "100%", height: "100%" }}
        scrollWheelZoom={true}
        attributionControl={true}
        zoomControl={false}
      >
        <ZoomControl key={lang} position="topleft" zoomInTitle={words.zoomIn} zoomOutTitle={words.zoomOut} />
        <TileLayer
          url="/tiles/{z}/{x}/{y}.png"
          maxZoom={19}
          key={`tiles-${lang}`}
          attribution={words.credit}
        />
        <Watcher fit={fit} fitKey={fitKey} onView={onView} onPick={onPick} />
        {clusters.map((c) => (
          <Cluster
            key={`c${c.lat},${c.lon},${c.count}`}
            cluster={c}
            active={!!highlighted && highlightLat !== null && inside(c.bbox, highlightLat, highlightLon)}
            words={words}
          />
        ))}
        {pins.map((p) => (
          <Pin key={`p${p.id}`} pin={p} active={p.id === highlighted} onPin={onPin} words={words} />
        ))}
        {hasPoint ? <Marker position={point} icon={pointIcon} interactive={false} /> : null}
        {hasPoint && radiusM > 0 ? (
          <Circle center={point} radius={radiusM} interactive={false}
            pathOptions={{ color: "#0f766e", weight: 2, fillOpacity: 0.06 }} />
        ) : null}
      </MapContainer>
    </div>
  );
}
