using System.Buffers.Binary;
using System.Net.Sockets;

namespace Vouch.Cli.Agent;

/// <summary>The uid of the process at the other end of a Unix socket (SO_PEERCRED), as the kernel reports it.</summary>
internal static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static uint? UserId(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        return length < 8 ? null : BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..8]);
    }
}
