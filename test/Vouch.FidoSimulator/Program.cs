using System.Runtime.InteropServices;
using Vouch.FidoSimulator;
using Vouch.FidoSimulator.Hid;

// A simulated CTAP 2.1 security key for tests; see README.md for the socket framing and the options.
const string Usage = "usage: Vouch.FidoSimulator --socket PATH [--pin PIN] [--retries N] [--aaguid GUID] [--no-touch] [--leaf-only] [--write-root FILE]";

string? socketPath = null;
string? rootFile = null;
var options = new SimulatorOptions();
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
    switch (args[i])
    {
        case "--socket": socketPath = Value(); break;
        case "--pin": options = options with { Pin = Value() }; break;
        case "--retries": options = options with { PinRetries = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) }; break;
        case "--aaguid": options = options with { Aaguid = Guid.Parse(Value()) }; break;
        case "--no-touch": options = options with { TouchAfter = null }; break;
        case "--leaf-only": options = options with { PresentsIntermediate = false }; break;
        case "--write-root": rootFile = Value(); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}. {Usage}");
            return 2;
    }
}
if (socketPath is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

await using var device = SimulatedDevice.Start(socketPath, options);
if (rootFile is not null)
    await File.WriteAllTextAsync(rootFile, device.Authenticator.Attestation.RootPem);
Console.Error.WriteLine($"fido simulator listening on {socketPath} (PIN {(options.Pin is null ? "not set" : "set")}, touch {(options.TouchAfter is null ? "never" : "given")})");

var stopped = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.TrySetResult(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.TrySetResult(); });
await stopped.Task;
return 0;
