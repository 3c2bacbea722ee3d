-- 64 KiB POST bodies.
wrk.method = "POST"
wrk.body = string.rep("u", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.path = "/upload"
