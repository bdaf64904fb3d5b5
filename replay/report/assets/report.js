(function () {
  "use strict";
  // Everything from the capture is inserted with textContent or as SVG
  // attribute values, never as markup.
  var data = JSON.parse(document.getElementById("retrace-data").textContent);
  var D = data.detections || [];
  var HOSTS = data.hosts || [], MULTIHOST = HOSTS.length > 1;
  var SVGNS = "http://www.w3.org/2000/svg";
  var PAGE = 100;
  var FILE_KINDS = { "open-read": 1, "open-write": 1, rename: 1, unlink: 1, chmod: 1, mkdir: 1, rmdir: 1, link: 1, symlink: 1 };
  var NET_KINDS = { connect: 1, accept: 1, listen: 1 };

  var state = { prios: {}, rule: "", ctr: "", host: "", q: "", v0: 0, v1: 0, zoomed: false, sel: -1, limit: PAGE, tab: "" };
  var t0 = Infinity, t1 = -Infinity;
  D.forEach(function (d) { if (d.t < t0) t0 = d.t; if (d.t > t1) t1 = d.t; });
  if (!D.length) { t0 = 0; t1 = 1000; }
  var pad = Math.max((t1 - t0) * 0.03, 0.5);
  var full0 = t0 - pad, full1 = t1 + pad;
  state.v0 = full0; state.v1 = full1;

  var usedPrios = [];
  D.forEach(function (d) { if (usedPrios.indexOf(d.p) < 0) usedPrios.push(d.p); });
  usedPrios.sort(function (a, b) { return a - b; });
  usedPrios.forEach(function (p) { state.prios[p] = true; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function $(id) { return document.getElementById(id); }

  // Search text per detection, built lazily.
  var hay = [];
  function haystack(i) {
    if (hay[i] === undefined) {
      var d = D[i], c = data.containers[d.c] || {}, parts = [data.rules[d.r], d.o, d.ts, d.y, d.h, data.captures[d.k], c.id, c.name, c.image];
      [d.pr].concat(d.a || [], d.ch || [], d.pv || []).forEach(function (p) { parts.push(p.n, p.x, p.c, p.u, String(p.pid)); });
      if (d.lg) parts.push(d.lg);
      if (d.dr) {
        [].concat(d.dr.b || [], d.dr.a || []).forEach(function (l) { parts.push(l.l); });
        (d.dr.n || []).forEach(function (s) { parts.push(s.n, s.k, s.o); });
      }
      parts = parts.concat(d.f || [], d.n || [], d.g || [], [data.priorities[d.p]]);
      hay[i] = parts.filter(function (s) { return s; }).join("\n").toLowerCase();
    }
    return hay[i];
  }
  function matches(i) {
    var d = D[i];
    if (!state.prios[d.p]) return false;
    if (state.rule !== "" && d.r !== +state.rule) return false;
    if (state.ctr !== "" && d.c !== +state.ctr) return false;
    if (state.host !== "" && d.hi !== +state.host) return false;
    if (state.q && haystack(i).indexOf(state.q) < 0) return false;
    return true;
  }
  function inWindow(i) { return !state.zoomed || (D[i].t >= state.v0 && D[i].t <= state.v1); }

  // ---- time labels in the report's zone (fixed offset from the data) ----
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function three(n) { return (n < 10 ? "00" : n < 100 ? "0" : "") + n; }
  function fmtTime(ms, step) {
    var z = new Date(Math.floor(ms) + data.offset * 1000);
    var hms = two(z.getUTCHours()) + ":" + two(z.getUTCMinutes());
    if (step >= 86400000) return z.getUTCFullYear() + "-" + two(z.getUTCMonth() + 1) + "-" + two(z.getUTCDate());
    if (step >= 60000) return hms;
    hms += ":" + two(z.getUTCSeconds());
    if (step >= 1000) return hms;
    hms += "." + three(z.getUTCMilliseconds());
    if (step >= 1) return hms;
    return hms + three(Math.floor((ms - Math.floor(ms)) * 1000 + 1e-6));
  }
  var STEPS = [];
  [1e-3, 1e-2, 1e-1, 1, 10, 100].forEach(function (m) { STEPS.push(m, 2 * m, 5 * m); });
  STEPS.push(1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000,
    3600000, 7200000, 10800000, 21600000, 43200000, 86400000, 172800000, 604800000);

  // ---- timeline ----
  var tl = $("tl"), LEFT = 118, RIGHT = 16, TOP = 8, LANE = 26, AXIS = 24;
  // One lane per priority; with several hosts, one lane per host (dots
  // keep their priority's colour).
  var usedHosts = [];
  D.forEach(function (d) { if (usedHosts.indexOf(d.hi) < 0) usedHosts.push(d.hi); });
  usedHosts.sort(function (a, b) { return a - b; });
  function lanes() { return MULTIHOST ? usedHosts : usedPrios.length ? usedPrios : [4]; }
  function laneOf(d) { return MULTIHOST ? d.hi : d.p; }
  function laneName(l) {
    if (!MULTIHOST) return data.priorities[l];
    var h = HOSTS[l] || "?";
    return h.length > 16 ? h.slice(0, 15) + "…" : h;
  }
  function width() { return Math.max(tl.getBoundingClientRect().width || tl.parentNode.clientWidth || 900, 320); }
  function xOf(t, w) { return LEFT + (t - state.v0) / (state.v1 - state.v0) * (w - LEFT - RIGHT); }
  function tOf(x, w) { return state.v0 + (x - LEFT) / (w - LEFT - RIGHT) * (state.v1 - state.v0); }

  function drawTimeline() {
    var w = width(), L = lanes(), h = TOP + L.length * LANE + AXIS;
    tl.setAttribute("viewBox", "0 0 " + w + " " + h);
    tl.setAttribute("height", h);
    while (tl.firstChild) tl.removeChild(tl.firstChild);
    L.forEach(function (p, li) {
      var y = TOP + li * LANE;
      tl.appendChild(svg("rect", { "class": "lane" + (li % 2 ? " alt" : ""), x: LEFT, y: y, width: w - LEFT - RIGHT, height: LANE }));
      var lab = svg("text", { "class": "lane-label", x: LEFT - 10, y: y + LANE / 2 + 4, "text-anchor": "end" });
      lab.textContent = laneName(p);
      if (MULTIHOST) { var lt = svg("title", {}); lt.textContent = "host " + (HOSTS[p] || "?"); lab.appendChild(lt); }
      tl.appendChild(lab);
    });
    // ticks
    var span = state.v1 - state.v0, target = Math.max(2, Math.floor((w - LEFT - RIGHT) / 110)), step = STEPS[STEPS.length - 1];
    for (var s = 0; s < STEPS.length; s++) if (span / STEPS[s] <= target) { step = STEPS[s]; break; }
    var off = data.offset * 1000, first = Math.ceil((state.v0 + off) / step) * step - off, axisY = TOP + L.length * LANE;
    for (var t = first, n = 0; t <= state.v1 && n < 200; t += step, n++) {
      var x = xOf(t, w);
      tl.appendChild(svg("line", { "class": "grid", x1: x, x2: x, y1: TOP, y2: axisY + 4 }));
      var lbl = svg("text", { "class": "tick", x: x, y: axisY + 17, "text-anchor": "middle" });
      lbl.textContent = fmtTime(t, step);
      tl.appendChild(lbl);
    }
    // Dots, most severe drawn last so they stay on top. Detections closer
    // than a few pixels in one lane share a dot whose size grows with the
    // count, so that large reports stay fast and legible.
    var bins = {}, order = [];
    for (var i = 0; i < D.length; i++) {
      if (D[i].t < state.v0 || D[i].t > state.v1 || !matches(i)) continue;
      var key = laneOf(D[i]) + ":" + D[i].p + ":" + Math.round(xOf(D[i].t, w) / 4);
      if (i === state.sel) key += ":sel";
      if (bins[key]) bins[key].n++;
      else { bins[key] = { i: i, n: 1 }; order.push(key); }
    }
    order.sort(function (a, b) { return D[bins[b].i].p - D[bins[a].i].p; });
    order.forEach(function (key) {
      var b = bins[key], d = D[b.i], li = L.indexOf(laneOf(d)), sel = b.i === state.sel;
      var r = sel ? 6.5 : b.n > 1 ? Math.min(5 + Math.log(b.n) * 1.6, 11) : 5;
      var c = svg("circle", { "class": "dot p" + d.p + (sel ? " sel" : "") + (b.n > 1 ? " many" : ""), cx: xOf(d.t, w), cy: TOP + li * LANE + LANE / 2, r: r, "data-i": b.i, "data-n": b.n });
      var tt = svg("title", {});
      tt.textContent = b.n > 1 ? b.n + " " + data.priorities[d.p] + " detections from " + d.ts + "; click to zoom in" : d.ts + "  " + data.rules[d.r] + "\n" + d.o;
      c.appendChild(tt);
      tl.appendChild(c);
    });
    var win = $("window");
    win.textContent = state.zoomed ? "Window " + fmtTime(state.v0, 0.001) + " – " + fmtTime(state.v1, 0.001) + " (" + data.zone + "); the list shows only detections in this window. Fit resets it." : "";
  }

  function zoom(factor, centerX) {
    var w = width(), c = tOf(centerX === undefined ? (LEFT + w - RIGHT) / 2 : centerX, w);
    var span = Math.max((state.v1 - state.v0) * factor, 0.01);
    if (span >= full1 - full0) { fit(); return; }
    var left = (c - state.v0) / (state.v1 - state.v0);
    state.v0 = c - span * left; state.v1 = state.v0 + span;
    clampView(); state.zoomed = true; state.limit = PAGE; render();
  }
  function clampView() {
    var span = state.v1 - state.v0;
    if (state.v0 < full0) { state.v0 = full0; state.v1 = full0 + span; }
    if (state.v1 > full1) { state.v1 = full1; state.v0 = full1 - span; }
  }
  function fit() { state.v0 = full0; state.v1 = full1; state.zoomed = false; state.limit = PAGE; render(); }

  tl.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = tl.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 0.8 : 1.25, (e.clientX - r.left) * width() / r.width);
  }, { passive: false });
  var drag = null;
  tl.addEventListener("pointerdown", function (e) {
    if (e.target.getAttribute("data-i") !== null) return;
    drag = { x: e.clientX, v0: state.v0, v1: state.v1, moved: false };
    tl.setPointerCapture(e.pointerId);
  });
  tl.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var w = width(), dx = (e.clientX - drag.x) * w / tl.getBoundingClientRect().width;
    if (Math.abs(dx) < 3 && !drag.moved) return;
    drag.moved = true; tl.classList.add("dragging");
    var dt = dx / (w - LEFT - RIGHT) * (drag.v1 - drag.v0);
    state.v0 = drag.v0 - dt; state.v1 = drag.v1 - dt; clampView();
    state.zoomed = state.v1 - state.v0 < full1 - full0; drawTimeline();
  });
  function endDrag() { var moved = drag && drag.moved; drag = null; tl.classList.remove("dragging"); if (moved) { state.limit = PAGE; render(); } }
  tl.addEventListener("pointerup", endDrag);
  tl.addEventListener("pointercancel", endDrag);
  tl.addEventListener("click", function (e) {
    var i = e.target.getAttribute && e.target.getAttribute("data-i");
    if (i === null || i === undefined) return;
    if (+e.target.getAttribute("data-n") > 1) {
      var r = tl.getBoundingClientRect();
      zoom(0.1, (e.clientX - r.left) * width() / r.width);
    } else select(+i, true);
  });
  $("zin").addEventListener("click", function () { zoom(0.5); });
  $("zout").addEventListener("click", function () { zoom(2); });
  $("zreset").addEventListener("click", fit);
  window.addEventListener("resize", drawTimeline);

  // ---- detection cards ----
  function procLine(li, p, self) {
    li.appendChild(el("span", "pname", p.n || "?"));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "pid", "[" + p.pid + "]"));
    if (p.u) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "user", "user " + p.u)); }
    if (p.t) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "user", "tty " + p.t)); }
    var cmd = p.c || p.x;
    if (cmd) {
      li.appendChild(el("br"));
      // Long command lines (an environment passed on the command line, a
      // script inline) show three lines until clicked.
      var c = el("span", cmd.length > 240 ? "cmd long" : "cmd", cmd);
      if (cmd.length > 240) {
        c.title = "Click to show the whole command line";
        c.addEventListener("click", function () { c.classList.toggle("full"); });
      }
      li.appendChild(c);
    }
    if (self) li.className = "self";
  }
  function objList(title, items) {
    var s = el("section");
    s.appendChild(el("h3", "", title));
    if (!items || !items.length) { s.appendChild(el("div", "none", "none recorded")); return s; }
    var ul = el("ul", "objs");
    items.forEach(function (x) { ul.appendChild(el("li", "", x)); });
    s.appendChild(ul);
    return s;
  }
  // A card shows one group: one rule's detections of one process (repeats
  // of one alert collapse into one card with a count). m lists the members
  // that pass the filters; the card details one of them, the selected one
  // or the first.
  function card(m) {
    var i = m.indexOf(state.sel) >= 0 ? state.sel : m[0];
    var d = D[i], c = data.containers[d.c] || {};
    var a = el("article", "det p" + d.p + (m.indexOf(state.sel) >= 0 ? " sel" : ""));
    a.id = "g" + d.gp;
    a.setAttribute("data-i", i);
    var head = el("div", "det-head");
    head.appendChild(el("span", "pill p" + d.p, data.priorities[d.p]));
    head.appendChild(el("span", "rule", data.rules[d.r]));
    if (m.length > 1) { var x = el("span", "times", "×" + m.length); x.title = m.length + " detections of this rule by this process"; head.appendChild(x); }
    var ctr = el("span", "ctr");
    if (c.host) ctr.textContent = "host";
    else {
      ctr.appendChild(document.createTextNode("container "));
      ctr.appendChild(el("b", "", c.label || c.name || c.id));
      if (c.image) ctr.appendChild(document.createTextNode(" · " + c.image));
    }
    head.appendChild(ctr);
    if (MULTIHOST && d.h) { var hn = el("span", "hostname"); hn.appendChild(document.createTextNode("on ")); hn.appendChild(el("b", "", d.h)); head.appendChild(hn); }
    head.appendChild(el("span", "when", d.ts));
    a.appendChild(head);
    a.appendChild(el("div", "out", d.o));
    var cols = el("div", "cols"), left = el("section"), right = el("div");
    if (d.pv && d.pv.length) {
      // Provenance: the creation chain from the capture, exited creators
      // included, and the login session.
      left.appendChild(el("h3", "", "Provenance"));
      if (d.lg) left.appendChild(el("div", "login", d.lg));
      var pol = el("ol", "tree prov");
      if (d.pvc) pol.appendChild(el("li", "none", "… older creators not kept"));
      d.pv.forEach(function (p, k) {
        var li = el("li");
        procLine(li, p, k === d.pv.length - 1);
        var how = el("span", "how " + p.h, p.h + (p.d ? ", exited" : ""));
        li.insertBefore(how, li.children[2] || null);
        if (p.k) li.insertBefore(el("span", "inctr", "container " + p.k), how);
        pol.appendChild(li);
      });
      left.appendChild(pol);
    } else {
      left.appendChild(el("h3", "", "Process ancestry"));
      var ol = el("ol", "tree"), chain = (d.a || []).slice().reverse();
      chain.forEach(function (p) { var li = el("li"); procLine(li, p, false); ol.appendChild(li); });
      var me = el("li"); procLine(me, d.pr, true); ol.appendChild(me);
      left.appendChild(ol);
    }
    cols.appendChild(left);
    if (d.ch && d.ch.length) {
      var cmds = el("section");
      cmds.appendChild(el("h3", "", "Commands run"));
      var cl = el("ol", "tree");
      d.ch.forEach(function (p) { var li = el("li"); procLine(li, p, false); cl.appendChild(li); });
      cmds.appendChild(cl);
      left.appendChild(cmds);
    }
    right.appendChild(objList("Files", d.f));
    right.appendChild(objList("Network", d.n));
    var ev = el("section");
    ev.appendChild(el("h3", "", "Event"));
    ev.appendChild(facts(d));
    (d.g || []).forEach(function (t) { ev.appendChild(el("span", "tag", t)); });
    right.appendChild(ev);
    cols.appendChild(right);
    a.appendChild(cols);
    if (m.length > 1) a.appendChild(occurrences(m, i));
    if (d.dr) a.appendChild(drill(d, m.indexOf(state.sel) >= 0));
    return a;
  }
  // facts says where an event is: evt.num, type, capture file, zstd frame,
  // host and source, so that it can be traced back to its bytes.
  function facts(d) {
    var f = el("div", "facts");
    f.appendChild(el("span", "", "evt.num " + d.e));
    if (d.y) f.appendChild(el("span", "", d.y));
    if (data.captures[d.k]) f.appendChild(el("span", "file", data.captures[d.k]));
    if (d.fr >= 0) f.appendChild(el("span", "", "frame " + d.fr));
    if (d.h) f.appendChild(el("span", "", "host " + d.h));
    if (d.s) f.appendChild(el("span", "", d.s));
    return f;
  }
  function occurrences(m, cur) {
    var s = el("section", "occ");
    s.appendChild(el("h3", "", "Occurrences · " + m.length));
    var ul = el("ul", "occs");
    m.forEach(function (j) {
      var li = el("li"), b = el("button", j === cur ? "on" : "", D[j].ts + "  evt.num " + D[j].e + (D[j].y ? "  " + D[j].y : ""));
      b.type = "button";
      b.setAttribute("data-occ", j);
      b.addEventListener("click", function () { select(j, false); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    s.appendChild(ul);
    return s;
  }
  // drill is a detection's drill-down: the process's events around it,
  // what it and its children did next, and the files and connections
  // touched from the detection on.
  function drill(d, open) {
    var r = d.dr, det = el("details", "drill");
    if (open) det.open = true;
    var nb = (r.b || []).length + (r.a || []).length, nn = (r.n || []).length + (r.c || 0);
    det.appendChild(el("summary", "", "Drill-down · " + nb + " events around it · " + nn + " step" + (nn === 1 ? "" : "s") + " next"));
    var grid = el("div", "drill-cols");
    var ctx = el("section");
    ctx.appendChild(el("h3", "", "Context events"));
    var pre = el("div", "ctx");
    (r.b || []).forEach(function (l) { pre.appendChild(el("div", "ln", l.l)); });
    if (r.e) pre.appendChild(el("div", "ln me", r.e));
    (r.a || []).forEach(function (l) { pre.appendChild(el("div", "ln", l.l)); });
    if (!pre.firstChild) pre.appendChild(el("div", "none", "none recorded"));
    ctx.appendChild(pre);
    grid.appendChild(ctx);
    var nx = el("section");
    nx.appendChild(el("h3", "", "What came next"));
    var files = (d.f || []).slice(), conns = (d.n || []).slice();
    if (!r.n || !r.n.length) nx.appendChild(el("div", "none", "nothing recorded after it"));
    else {
      var ol = el("ol", "next");
      r.n.forEach(function (st) {
        var li = el("li");
        li.style.paddingLeft = (Math.min(st.d || 0, 8) * 14) + "px";
        li.appendChild(el("span", "when", st.t));
        li.appendChild(el("span", "pname", st.n + "[" + st.p + "]"));
        li.appendChild(el("span", "kind", st.k));
        li.appendChild(el("span", "obj", st.o));
        ol.appendChild(li);
        if (FILE_KINDS[st.k] && files.indexOf(st.o) < 0) files.push(st.o);
        if (NET_KINDS[st.k] && conns.indexOf(st.o) < 0) conns.push(st.o);
      });
      nx.appendChild(ol);
      if (r.c) nx.appendChild(el("div", "none", "… " + r.c + " more not shown"));
    }
    grid.appendChild(nx);
    var touched = el("section");
    touched.appendChild(objList("Files touched", files));
    touched.appendChild(objList("Connections", conns));
    grid.appendChild(touched);
    det.appendChild(grid);
    return det;
  }

  // groupsOf returns the groups of the detections that pass the filters,
  // in the order of their first member, and the number of detections.
  function groupsOf() {
    var groups = [], at = {}, total = 0;
    for (var i = 0; i < D.length; i++) {
      if (!(matches(i) && inWindow(i))) continue;
      total++;
      var g = D[i].gp;
      if (at[g] === undefined) { at[g] = groups.length; groups.push([i]); } else groups[at[g]].push(i);
    }
    return { groups: groups, total: total };
  }
  function renderList() {
    var list = $("list"), gs = groupsOf(), total = gs.total, shown = gs.groups.slice(0, state.limit);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!total) list.appendChild(el("div", "empty", D.length ? "No detection matches the filters." : "No detections."));
    shown.forEach(function (m) { list.appendChild(card(m)); });
    var left = gs.groups.length - shown.length;
    if (left > 0) {
      var more = el("button", "more", "Show " + Math.min(PAGE, left) + " more of " + left + " remaining");
      more.type = "button";
      more.addEventListener("click", function () { state.limit += PAGE; renderList(); });
      list.appendChild(more);
    }
    var cards = gs.groups.length !== total ? " in " + gs.groups.length + " cards" : "";
    $("count").textContent = (total === D.length ? D.length + " detections" : "Showing " + total + " of " + D.length) + cards;
  }
  function render() { drawTimeline(); renderList(); filterTree(); syncControls(); saveHash(); }

  // The process tree of a tree view is rendered by the page itself; the
  // search hides processes whose subtree does not match, and the host
  // filter the trees of other hosts (each root names its host; a notice
  // above the tree says that some are hidden, and clears the filter).
  function filterTree() {
    var root = $("ptree");
    if (!root) return;
    var host = state.host === "" ? null : HOSTS[+state.host], shown = 0, total = 0;
    function visit(li) {
      var own = "", any = false;
      total++;
      Array.prototype.forEach.call(li.firstElementChild.children, function (c) {
        if (c.tagName === "SUMMARY" || c.classList.contains("acts")) own += c.textContent + "\n";
        if (c.classList.contains("ptree")) Array.prototype.forEach.call(c.children, function (k) { if (visit(k)) any = true; });
      });
      var show = !state.q || any || own.toLowerCase().indexOf(state.q) >= 0;
      li.hidden = !show;
      if (show) shown++;
      return show;
    }
    Array.prototype.forEach.call(root.children, function (li) {
      if (host === null || li.getAttribute("data-host") === state.host) { visit(li); return; }
      li.hidden = true;
      total += 1 + li.querySelectorAll("li.node").length;
    });
    var note = $("tree-host");
    if (!note) return;
    note.hidden = host === null;
    if (host !== null) note.firstChild.textContent = "Host " + host + " only (the host filter): " + shown + " of " + total + " processes shown.";
  }
  if ($("tree-host")) $("tree-host").querySelector("button").addEventListener("click", function () { state.host = ""; changed(); });

  // The filters live in the URL fragment (#q=…&rule=…&container=…&priority=…
  // &from=…&to=…, times in ms since the epoch) so that a view can be shared
  // or bookmarked.
  function saveHash() {
    var h = [];
    function add(k, v) { h.push(k + "=" + encodeURIComponent(v)); }
    if (state.q) add("q", state.q);
    if (state.rule !== "") add("rule", data.rules[+state.rule]);
    if (state.ctr !== "") { var c = data.containers[+state.ctr]; add("container", c.host ? "host" : c.id); }
    if (state.host !== "") add("host", HOSTS[+state.host]);
    if (state.tab && state.tab !== defaultTab) add("tab", state.tab);
    if (state.sel >= 0 && state.sel < D.length) add("d", D[state.sel].k + ":" + D[state.sel].e);
    var on = usedPrios.filter(function (p) { return state.prios[p]; });
    if (on.length < usedPrios.length) add("priority", on.map(function (p) { return data.priorities[p]; }).join(","));
    if (state.zoomed) { add("from", state.v0.toFixed(3)); add("to", state.v1.toFixed(3)); }
    try { history.replaceState(null, "", h.length ? "#" + h.join("&") : location.pathname + location.search); } catch (e) { /* file: URLs may refuse */ }
  }
  function loadHash() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var at = kv.indexOf("="), k = at < 0 ? kv : kv.slice(0, at), v = "";
      try { v = decodeURIComponent(at < 0 ? "" : kv.slice(at + 1)); } catch (e) { return; }
      if (k === "q") { state.q = v.trim().toLowerCase(); $("q").value = v; }
      if (k === "rule") { var r = data.rules.indexOf(v); if (r >= 0) state.rule = String(r); }
      if (k === "host") { var hi = HOSTS.indexOf(v); if (hi >= 0) state.host = String(hi); }
      if (k === "tab") state.tab = v;
      // d=CAPTURE:EVT_NUM opens that detection (capture index, evt.num).
      if (k === "d") D.forEach(function (x, i) { if (x.k + ":" + x.e === v) linked = i; });
      if (k === "container") data.containers.forEach(function (c, i) { if ((c.host ? "host" : c.id) === v || c.name === v) state.ctr = String(i); });
      if (k === "priority") {
        var want = v.toLowerCase().split(",");
        usedPrios.forEach(function (p) { state.prios[p] = want.indexOf(data.priorities[p].toLowerCase()) >= 0; });
      }
      if (k === "from" && isFinite(+v)) { state.v0 = +v; state.zoomed = true; }
      if (k === "to" && isFinite(+v)) { state.v1 = +v; state.zoomed = true; }
    });
    if (!(state.v1 > state.v0)) { state.v0 = full0; state.v1 = full1; state.zoomed = false; }
  }

  function select(i, scroll) {
    state.sel = i;
    var d = D[i];
    if (!matches(i)) clearFilters();
    if (state.zoomed && !inWindow(i)) { state.v0 = full0; state.v1 = full1; state.zoomed = false; }
    var gs = groupsOf().groups, pos = 0;
    for (var k = 0; k < gs.length; k++) if (gs[k].indexOf(i) >= 0) { pos = k; break; }
    if (pos >= state.limit) state.limit = pos + 1;
    showTab("detections");
    render();
    var c = $("g" + d.gp);
    if (c && scroll) c.scrollIntoView({ block: "start", behavior: "instant" });
    return d;
  }
  function clearFilters() {
    usedPrios.forEach(function (p) { state.prios[p] = true; });
    state.rule = ""; state.ctr = ""; state.host = ""; state.q = ""; $("q").value = "";
  }

  // ---- tabs: detections, the process tree ----
  var tabButtons = document.querySelectorAll("#tabs [data-tab]");
  function hasTab(name) { return !!document.querySelector("div.tab[data-tab='" + name + "']"); }
  function showTab(name) {
    if (!hasTab(name)) name = "detections";
    state.tab = name;
    Array.prototype.forEach.call(tabButtons, function (b) { b.setAttribute("aria-selected", b.getAttribute("data-tab") === name ? "true" : "false"); });
    Array.prototype.forEach.call(document.querySelectorAll("div.tab"), function (p) { p.hidden = p.getAttribute("data-tab") !== name; });
    if (name === "detections") drawTimeline(); // its width is known only once shown
    var v = document.querySelector("div.tab.view[data-tab='" + name + "']");
    if (v && !v.firstChild) buildView(v, (data.views || [])[+v.getAttribute("data-view")]);
  }

  // ---- activity views: one table per tab, built when first shown ----
  var VIEW_PAGE = 200;
  function buildView(box, v) {
    if (!v) return;
    var panel = el("section", "panel view-panel");
    var head = el("div", "view-head");
    head.appendChild(el("h2", "", v.name + " · " + v.total));
    var q = el("input");
    q.type = "search"; q.placeholder = "Filter rows…"; q.setAttribute("aria-label", "Filter " + v.name);
    head.appendChild(q);
    var count = el("span", "count");
    head.appendChild(count);
    panel.appendChild(head);
    if (v.rows.length < v.total) panel.appendChild(el("div", "notice", "This tab holds the first " + v.rows.length + " of " + v.total + " rows; " + (v.total - v.rows.length) + " more are left out (raise the bound with --report-max, or run retrace timeline " + v.name + " -o json for all of them)."));
    var wrap = el("div", "view-scroll"), table = el("table", "rows"), thead = el("thead"), tr = el("tr");
    ["Time", "Kind", "Process", "What", "Host", "Capture · frame · evt.num"].forEach(function (h) { tr.appendChild(el("th", "", h)); });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody");
    table.appendChild(tbody); wrap.appendChild(table); panel.appendChild(wrap);
    var more = el("button", "more");
    more.type = "button";
    panel.appendChild(more);
    box.appendChild(panel);
    var limit = VIEW_PAGE, hay = [];
    function text(i) {
      if (hay[i] === undefined) { var r = v.rows[i]; hay[i] = [r.ts, r.r, r.n, String(r.pid), r.o, r.h, data.captures[r.k]].join("\n").toLowerCase(); }
      return hay[i];
    }
    function draw() {
      var f = q.value.trim().toLowerCase(), shown = 0, total = 0;
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      for (var i = 0; i < v.rows.length; i++) {
        if (f && text(i).indexOf(f) < 0) continue;
        total++;
        if (shown >= limit) continue;
        shown++;
        var r = v.rows[i], row = el("tr");
        row.appendChild(el("td", "when", r.ts));
        row.appendChild(el("td", "kind", r.r));
        row.appendChild(el("td", "proc", (r.n || "?") + "[" + r.pid + "]"));
        row.appendChild(el("td", "what", r.o));
        row.appendChild(el("td", "host", r.h || ""));
        row.appendChild(el("td", "where", (data.captures[r.k] || "") + (r.fr >= 0 ? " · frame " + r.fr : "") + " · " + r.e));
        tbody.appendChild(row);
      }
      count.textContent = total === v.rows.length ? v.rows.length + " rows" : "Showing " + total + " of " + v.rows.length;
      more.hidden = total <= shown;
      more.textContent = "Show " + Math.min(VIEW_PAGE, total - shown) + " more of " + (total - shown) + " remaining";
    }
    more.addEventListener("click", function () { limit += VIEW_PAGE; draw(); });
    var t = 0;
    q.addEventListener("input", function () { clearTimeout(t); t = setTimeout(function () { limit = VIEW_PAGE; draw(); }, 120); });
    draw();
  }
  Array.prototype.forEach.call(tabButtons, function (b) {
    b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); saveHash(); });
  });
  // A pin on the tree opens its detection.
  Array.prototype.forEach.call(document.querySelectorAll("button.pin"), function (b) {
    b.addEventListener("click", function (e) { e.preventDefault(); select(+b.getAttribute("data-i"), true); });
  });

  // ---- filters ----
  function syncControls() {
    Array.prototype.forEach.call(document.querySelectorAll("#prios button"), function (b) {
      var on = !!state.prios[b.getAttribute("data-key")];
      b.classList.toggle("off", !on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    $("rule").value = state.rule;
    $("container").value = state.ctr;
    if ($("host")) $("host").value = state.host;
    Array.prototype.forEach.call(document.querySelectorAll("tr.pick"), function (tr) {
      var k = tr.getAttribute("data-kind"), v = tr.getAttribute("data-key"), on = false;
      if (k === "rule") on = state.rule === v;
      if (k === "container") on = state.ctr === v;
      if (k === "priority") on = onlyPrio() === v;
      tr.classList.toggle("active", on);
    });
  }
  function onlyPrio() {
    var on = usedPrios.filter(function (p) { return state.prios[p]; });
    return on.length === 1 && usedPrios.length > 1 ? String(on[0]) : null;
  }
  function changed() { state.limit = PAGE; render(); }
  Array.prototype.forEach.call(document.querySelectorAll("#prios button"), function (b) {
    b.addEventListener("click", function () { var k = b.getAttribute("data-key"); state.prios[k] = !state.prios[k]; changed(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("tr.pick"), function (tr) {
    tr.addEventListener("click", function () {
      var k = tr.getAttribute("data-kind"), v = tr.getAttribute("data-key");
      if (k === "rule") state.rule = state.rule === v ? "" : v;
      if (k === "container") state.ctr = state.ctr === v ? "" : v;
      if (k === "priority") {
        var only = onlyPrio() === v;
        usedPrios.forEach(function (p) { state.prios[p] = only || String(p) === v; });
      }
      changed();
    });
  });
  $("rule").addEventListener("change", function (e) { state.rule = e.target.value; changed(); });
  $("container").addEventListener("change", function (e) { state.ctr = e.target.value; changed(); });
  if ($("host")) $("host").addEventListener("change", function (e) { state.host = e.target.value; changed(); });
  var qTimer = 0;
  $("q").addEventListener("input", function (e) {
    clearTimeout(qTimer);
    qTimer = setTimeout(function () { state.q = e.target.value.trim().toLowerCase(); changed(); }, 120);
  });
  $("reset").addEventListener("click", function () {
    clearFilters(); state.sel = -1;
    fit();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== $("q")) { e.preventDefault(); $("q").focus(); }
  });
  // Tree command lines show two lines; hovering shows the whole line and
  // a double click unfolds it.
  Array.prototype.forEach.call(document.querySelectorAll("ul.ptree .cmd"), function (c) {
    c.title = c.textContent;
    c.addEventListener("dblclick", function (e) { e.preventDefault(); c.classList.toggle("full"); });
  });
  // Summary names are cut to one line; hovering shows the whole text.
  Array.prototype.forEach.call(document.querySelectorAll("table.counts td.name"), function (td) {
    td.title = td.textContent.trim();
  });
  // A report without detections (a tree view) opens on its tree, not on
  // an empty dashboard.
  var defaultTab = D.length || !hasTab("tree") ? "detections" : "tree", linked = -1;
  loadHash();
  showTab(state.tab || defaultTab);
  if (linked >= 0) select(linked, true);
  else render();
})();
