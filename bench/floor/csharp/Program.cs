using System.Net.Sockets;
using System.Text;

// The language floor for a credential_process client: connect to the vouch agent's Unix socket (args[0]), send one
// request line (args[1]), copy the one-line answer to stdout, exit. What any NativeAOT C# client must pay at least.
if (args.Length != 2) return 64;
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Connect(new UnixDomainSocketEndPoint(args[0]));
socket.Send(Encoding.UTF8.GetBytes(args[1] + "\n"));
var answer = new byte[65536];
var used = 0;
while (used < answer.Length)
{
    var read = socket.Receive(answer.AsSpan(used));
    if (read == 0) return 1;
    used += read;
    if (answer.AsSpan(used - read, read).Contains((byte)'\n')) break;
}
using var stdout = Console.OpenStandardOutput();
stdout.Write(answer, 0, used);
return 0;
