using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Vouch.Cli.Authenticators;

/// <summary>
/// A test hook: libfido2's HID reports go to a simulated security key on a Unix socket instead of a USB device
/// (test/Vouch.FidoSimulator). Every report travels as exactly 64 bytes; libfido2's 65-byte writes lose their
/// leading report id 0. Set with <see cref="EnvironmentVariable"/>; never meant for real use.
/// </summary>
internal static unsafe class SocketHidTransport
{
    public const string EnvironmentVariable = "VOUCH_FIDO_DEVICE_SOCKET";

    private const int ReportSize = 64;

    /// <summary>Makes <paramref name="dev"/> (not yet open) speak through the socket whose path fido_dev_open gets.</summary>
    public static int Install(nint dev)
    {
        var io = new Libfido2.IoFunctions
        {
            Open = &Open,
            Close = &Close,
            Read = &Read,
            Write = &Write,
        };
        // libfido2 copies the struct, so a stack value is enough.
        return Libfido2.DevSetIoFunctions(dev, &io);
    }

    [UnmanagedCallersOnly]
    private static nint Open(byte* path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(Marshal.PtrToStringUTF8((nint)path)!));
            return GCHandle.ToIntPtr(GCHandle.Alloc(socket));
        }
        catch (SocketException)
        {
            socket.Dispose();
            return 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void Close(nint handle)
    {
        var gcHandle = GCHandle.FromIntPtr(handle);
        ((Socket)gcHandle.Target!).Dispose();
        gcHandle.Free();
    }

    /// <summary>One 64-byte report within <paramref name="ms"/> milliseconds (-1: no limit); -1 on timeout or error.</summary>
    [UnmanagedCallersOnly]
    private static int Read(nint handle, byte* buffer, nuint length, int ms)
    {
        var socket = (Socket)GCHandle.FromIntPtr(handle).Target!;
        if (length < ReportSize)
            return -1;
        try
        {
            if (!socket.Poll(ms < 0 ? -1 : ms * 1000L > int.MaxValue ? int.MaxValue : ms * 1000, SelectMode.SelectRead))
                return -1;
            var report = new Span<byte>(buffer, ReportSize);
            for (var read = 0; read < ReportSize;)
            {
                var n = socket.Receive(report[read..]);
                if (n == 0)
                    return -1;
                read += n;
            }
            return ReportSize;
        }
        catch (SocketException)
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int Write(nint handle, byte* buffer, nuint length)
    {
        var socket = (Socket)GCHandle.FromIntPtr(handle).Target!;
        if (length != ReportSize + 1)
            return -1;
        try
        {
            socket.Send(new ReadOnlySpan<byte>(buffer + 1, ReportSize));
            return (int)length;
        }
        catch (SocketException)
        {
            return -1;
        }
    }
}
