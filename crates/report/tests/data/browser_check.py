"""Opens a report in headless Chromium through the DevTools protocol (over
--remote-debugging-pipe, so the standard library is enough) and prints, as
JSON: every console message, exception and log entry; every network
request; what a few DOM queries found; and PNG screenshots (base64) of the
page and of chosen elements.

usage: browser_check.py CHROMIUM URL [--dark] [--shot NAME=CSS_SELECTOR]...
"""
import base64
import json
import os
import select
import subprocess
import sys
import time


def launch(chrome):
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    a, b = os.dup(to_r), os.dup(from_w)

    def setup():
        os.dup2(a, 3)
        os.dup2(b, 4)

    p = subprocess.Popen(
        [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--remote-debugging-pipe", "about:blank"],
        preexec_fn=setup, close_fds=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for fd in (to_r, from_w, a, b):
        os.close(fd)
    return p, os.fdopen(to_w, "wb", buffering=0), os.fdopen(from_r, "rb", buffering=0)


class CDP:
    def __init__(self, w, r):
        self.w, self.r, self.buf, self.n, self.events = w, r, b"", 0, []

    def _read(self):
        while b"\0" not in self.buf:
            chunk = self.r.read(65536)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.n += 1
        m = {"id": self.n, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        self.w.write(json.dumps(m).encode() + b"\0")
        while True:
            msg = self._read()
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def drain(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if b"\0" in self.buf:
                self.events.append(self._read())
                continue
            ready, _, _ = select.select([self.r], [], [], max(0, end - time.time()))
            if not ready:
                break
            self.events.append(self._read())


QUERIES = {
    "timeline_bars": "document.querySelectorAll('svg.timeline rect.bar').length",
    "timeline_box": "(() => { const e = document.querySelector('svg.timeline'); if (!e) return null; const r = e.getBoundingClientRect(); return [r.width, r.height]; })()",
    "hypothesis_rows": "document.querySelectorAll('table.hypothesis tbody tr').length",
    "background": "getComputedStyle(document.body).backgroundColor",
    "text": "document.body.innerText",
}


def main():
    chrome, url = sys.argv[1], sys.argv[2]
    dark = "--dark" in sys.argv
    shots = [a.split("=", 1) for a in sys.argv[3:] if "=" in a]
    p, w, r = launch(chrome)
    c = CDP(w, r)
    out = {}
    try:
        target = c.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = c.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            c.send(f"{domain}.enable", session=s)
        c.send("Emulation.setDeviceMetricsOverride",
               {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        c.send("Emulation.setEmulatedMedia",
               {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
               session=s)
        c.send("Page.navigate", {"url": url}, session=s)
        c.drain(1.5)
        out["console"] = [e["params"] for e in c.events if e.get("method") in (
            "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")]
        out["requests"] = [e["params"]["request"]["url"] for e in c.events
                           if e.get("method") == "Network.requestWillBeSent"]
        out["dom"] = {}
        for name, js in QUERIES.items():
            res = c.send("Runtime.evaluate", {"expression": js, "returnByValue": True}, session=s)
            out["dom"][name] = res.get("result", {}).get("value")
        out["shots"] = {}
        for name, selector in shots:
            js = ("(() => { const e = document.querySelector(%s); if (!e) return null; e.scrollIntoView();"
                  " const r = e.getBoundingClientRect();"
                  " return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; })()"
                  % json.dumps(selector))
            box = c.send("Runtime.evaluate", {"expression": js, "returnByValue": True},
                         session=s).get("result", {}).get("value")
            if not box:
                out["shots"][name] = None
                continue
            clip = {"x": box[0], "y": box[1], "width": max(box[2], 1), "height": max(box[3], 1), "scale": 1}
            data = c.send("Page.captureScreenshot",
                          {"format": "png", "clip": clip, "captureBeyondViewport": True},
                          session=s)["data"]
            out["shots"][name] = data
    finally:
        try:
            c.send("Browser.close")
        except Exception:
            pass
        try:
            p.wait(timeout=10)
        except Exception:
            p.kill()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
