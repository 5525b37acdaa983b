namespace Vouch.FidoSimulator.Ctap;

/// <summary>What a command may do while it runs: send a CTAPHID keepalive status, and notice a CANCEL.</summary>
public sealed record CommandContext(Func<byte, Task> SendKeepaliveAsync, CancellationToken Cancellation);
