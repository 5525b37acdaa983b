#!/usr/bin/env python3
"""Times whole vouch processes and the STS call alone, for bench/cli-cold.sh and bench/cli-concurrent.sh.

  cli_processes.py sts ENDPOINT TOKEN ROLE_PREFIX N
      N AssumeRoleWithWebIdentity calls to ENDPOINT over one kept-alive HTTP connection (what a client that has
      already connected pays), each for a role never asked before; prints the durations in ms, one a line.
  cli_processes.py sequential VOUCH ROLE_PREFIX N
      N 'vouch credential aws' processes one after the other, each for a new role (the agent's cache misses);
      prints each one's exec-to-exit time in ms.
  cli_processes.py concurrent VOUCH ROLE N
      N 'vouch credential aws --role ROLE' processes started at once (posix_spawn, as fast as one thread can);
      prints each one's spawn-to-exit time in ms (a second thread reaps them as they exit); on stderr the spread
      of the starts, when the last one ended, and the exit codes.
"""
import http.client
import os
import sys
import threading
import time
import urllib.parse


def args_for(vouch, role):
    return [vouch, "credential", "aws", "--role", role, "--format", "aws-credential-process"]


def sts(endpoint, token, prefix, n):
    url = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    for i in range(n):
        body = urllib.parse.urlencode({
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": f"{prefix}{i}",
            "RoleSessionName": "bench@example.com", "WebIdentityToken": token, "DurationSeconds": "3600"})
        start = time.perf_counter()
        connection.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        answer = response.read()
        took = time.perf_counter() - start
        if response.status != 200 or b"AccessKeyId" not in answer:
            sys.exit(f"sts: {response.status} {answer[:200]!r}")
        print(f"{took * 1000:.3f}")


def run(argv):
    null = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)


def sequential(vouch, prefix, n):
    for i in range(n):
        start = time.perf_counter()
        pid = run(args_for(vouch, f"{prefix}{i}"))
        _, status = os.waitpid(pid, 0)
        took = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"sequential: vouch exited {os.waitstatus_to_exitcode(status)}")
        print(f"{took * 1000:.3f}")


def concurrent(vouch, role, n):
    """Spawns from this thread while another reaps, so that each exit is timed when it happens, not when the
    spawning is over."""
    argv = args_for(vouch, role)
    started, ended, codes = {}, {}, {}

    def reap():
        for _ in range(n):
            pid, status = os.wait()
            ended[pid] = time.perf_counter()
            code = os.waitstatus_to_exitcode(status)
            codes[code] = codes.get(code, 0) + 1

    reaper = threading.Thread(target=reap)
    first = time.perf_counter()
    for _ in range(n):
        spawned = time.perf_counter()
        started[run(argv)] = spawned
        if len(started) == 1:
            reaper.start()
    last_start = time.perf_counter()
    reaper.join()
    for pid, spawned in started.items():
        print(f"{(ended[pid] - spawned) * 1000:.3f}")
    print(f"# starts spread over {(last_start - first) * 1000:.1f} ms; all done after {(max(ended.values()) - first) * 1000:.1f} ms; exit codes {codes}", file=sys.stderr)
    if set(codes) != {0}:
        sys.exit(1)


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "sts":
        sts(rest[0], rest[1], rest[2], int(rest[3]))
    elif command == "sequential":
        sequential(rest[0], rest[1], int(rest[2]))
    elif command == "concurrent":
        concurrent(rest[0], rest[1], int(rest[2]))
    else:
        sys.exit(__doc__)
