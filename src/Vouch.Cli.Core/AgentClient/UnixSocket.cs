using System.Runtime.InteropServices;
using System.Text;

namespace Vouch.Cli.Agent;

/// <summary>
/// A connected Unix stream socket driven by blocking libc calls, for the synchronous exchange of the hot path
/// (<see cref="AgentClient.Send"/>). <c>System.Net.Sockets</c> starts its epoll thread and probes for IPv4 and IPv6
/// on first use, which costs a process that lives for two milliseconds more than the exchange itself (issue 13).
/// Failures are <see cref="UnixSocketException"/>s carrying the kernel's reason.
/// </summary>
internal sealed partial class UnixSocket : IDisposable
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int MsgNoSignal = 0x4000;
    private const int Eintr = 4;
    // struct sockaddr_un: sa_family_t (2 bytes), then sun_path[108] with its terminating NUL.
    private const int PathCapacity = 108;

    private int _fd;

    private UnixSocket(int fd) => _fd = fd;

    /// <summary>
    /// The socket connected to <paramref name="path"/>, or null when nothing accepts there (no such file, refused,
    /// not a socket): the caller treats that as "no agent".
    /// </summary>
    /// <exception cref="UnixSocketException">The socket could not be created, or the path is too long for one.</exception>
    public static unsafe UnixSocket? Connect(string path)
    {
        var address = stackalloc byte[2 + PathCapacity];
        new Span<byte>(address, 2 + PathCapacity).Clear();
        var length = Encoding.UTF8.GetByteCount(path);
        if (length >= PathCapacity) throw new UnixSocketException($"{path} is longer than a Unix socket path may be ({PathCapacity - 1} bytes)");
        *(ushort*)address = AfUnix;
        Encoding.UTF8.GetBytes(path, new Span<byte>(address + 2, PathCapacity));

        var fd = SocketCall(AfUnix, SockStream | SockCloexec, 0);
        if (fd < 0) throw UnixSocketException.FromErrno("socket");
        int result;
        do result = ConnectCall(fd, address, (uint)(2 + length + 1));
        while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);
        if (result == 0) return new UnixSocket(fd);
        // Nothing to do about a failed close of a socket that never connected (Linux frees the descriptor anyway).
        _ = CloseCall(fd);
        return null;
    }

    /// <summary>The uid of the process at the other end (SO_PEERCRED), as the kernel reports it.</summary>
    public unsafe uint? PeerUserId()
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var ucred = stackalloc uint[3];
        var length = 12u;
        if (GetSockOptCall(_fd, SolSocket, SoPeerCred, ucred, ref length) != 0 || length < 8) return null;
        return ucred[1];
    }

    /// <summary>Sends all of <paramref name="bytes"/> (never raising SIGPIPE).</summary>
    public unsafe void Send(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            var sent = 0;
            while (sent < bytes.Length)
            {
                var n = SendCall(_fd, start + sent, (nuint)(bytes.Length - sent), MsgNoSignal);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Eintr) continue;
                    throw UnixSocketException.FromErrno("send");
                }
                sent += (int)n;
            }
        }
    }

    /// <summary>Reads what has arrived into <paramref name="buffer"/>, waiting for at least one byte; 0 at the end.</summary>
    public unsafe int Receive(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var n = ReceiveCall(_fd, start, (nuint)buffer.Length, 0);
                if (n >= 0) return (int)n;
                if (Marshal.GetLastPInvokeError() != Eintr) throw UnixSocketException.FromErrno("recv");
            }
        }
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        // close(2) frees the descriptor even when it reports an error; nothing was left unsent by then.
        _ = CloseCall(_fd);
        _fd = -1;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketCall(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static unsafe partial int ConnectCall(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOptCall(int fd, int level, int name, void* value, ref uint length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint SendCall(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint ReceiveCall(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseCall(int fd);
}

/// <summary>A failed call on a <see cref="UnixSocket"/>, with the kernel's reason.</summary>
internal sealed class UnixSocketException(string message) : IOException(message)
{
    public static UnixSocketException FromErrno(string call) => new($"{call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
