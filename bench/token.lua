-- wrk script for POST /api/v1/token: each request presents the next session token from the file named by
-- the SESSIONS environment variable (one a line), round robin per wrk thread; the body asks for the default audience.
local sessions, next = {}, 1
for line in io.lines(os.getenv("SESSIONS")) do sessions[#sessions + 1] = line end
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
request = function()
  wrk.headers["Authorization"] = "Bearer " .. sessions[next]
  next = next % #sessions + 1
  return wrk.format()
end
