namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// A request the authenticator cannot read (bad CBOR, a missing or mistyped parameter). Parsing throws it so the
/// handlers read straight through; <see cref="Authenticator"/> turns it into the status byte.
/// </summary>
public sealed class CtapRequestException(CtapStatus status) : Exception($"CTAP status {status}")
{
    public CtapStatus Status { get; } = status;
}
