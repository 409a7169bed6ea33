"""Minimal CDP client over --remote-debugging-pipe (stdlib only)."""
import json, os, subprocess, sys, time, base64

def launch(chrome):
    # child reads commands on fd 3, writes replies/events on fd 4
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    # move the child's ends out of the way first, then onto 3 and 4
    a = os.dup(to_chrome_r); b = os.dup(from_chrome_w)
    def setup():
        os.dup2(a, 3); os.dup2(b, 4)
    p = subprocess.Popen([chrome, "--headless", "--no-sandbox", "--disable-gpu",
                          "--remote-debugging-pipe", "about:blank"],
                         pass_fds=(3, 4) if False else (), preexec_fn=setup,
                         stdout=subprocess.DEVNULL, stderr=open("chrome-stderr.log","wb"), close_fds=False)
    for fd in (to_chrome_r, from_chrome_w, a, b): os.close(fd)
    return p, os.fdopen(to_chrome_w, "wb", buffering=0), os.fdopen(from_chrome_r, "rb", buffering=0)

class CDP:
    def __init__(self, w, r):
        self.w, self.r, self.buf, self.n, self.events = w, r, b"", 0, []
    def _read(self):
        while b"\0" not in self.buf:
            chunk = self.r.read(65536)
            if not chunk: raise EOFError
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)
    def send(self, method, params=None, session=None):
        self.n += 1
        m = {"id": self.n, "method": method, "params": params or {}}
        if session: m["sessionId"] = session
        self.w.write(json.dumps(m).encode() + b"\0")
        while True:
            msg = self._read()
            if msg.get("id") == self.n:
                if "error" in msg: raise RuntimeError(msg["error"])
                return msg.get("result", {})
            self.events.append(msg)
    def drain(self, seconds):
        import select
        end = time.time() + seconds
        while time.time() < end:
            r, _, _ = select.select([self.r], [], [], max(0, end - time.time()))
            if not r: break
            self.events.append(self._read())

def check(chrome, url, png=None, dark=False):
    p, w, r = launch(chrome)
    c = CDP(w, r)
    try:
        t = c.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = c.send("Target.attachToTarget", {"targetId": t, "flatten": True})["sessionId"]
        for d in ("Runtime", "Log", "Network", "Page"):
            c.send(f"{d}.enable", session=s)
        if dark:
            c.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}, session=s)
        c.send("Page.navigate", {"url": url}, session=s)
        c.drain(1.5)
        if png:
            data = c.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=s)["data"]
            open(png, "wb").write(base64.b64decode(data))
        console = [e["params"] for e in c.events if e.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")]
        requests = [e["params"]["request"]["url"] for e in c.events if e.get("method") == "Network.requestWillBeSent"]
        return console, requests
    finally:
        try: c.send("Browser.close")
        except Exception: pass
        p.wait(timeout=10)

if __name__ == "__main__":
    console, reqs = check(sys.argv[1], sys.argv[2], png=sys.argv[3] if len(sys.argv) > 3 else None, dark=True)
    print("console/exception/log entries:", len(console))
    for e in console: print("  ", e.get("type") or e.get("entry", {}).get("level"), json.dumps(e)[:160])
    print("requests:", reqs)
