using Vouch.FidoSimulator.Attestation;

namespace Vouch.FidoSimulator;

/// <summary>
/// The knobs of a simulated security key. Defaults: no PIN, 8 PIN retries, a touch 200 ms after the key asks for it,
/// 30 s before an unanswered touch request times out, PIN protocols 2 then 1, a fresh attestation chain and a fixed AAGUID.
/// </summary>
public sealed record SimulatorOptions
{
    /// <summary>The AAGUID the simulator reports when none is given.</summary>
    public static readonly Guid DefaultAaguid = new("5ef1a1c0-0000-4000-8000-000000f1d0e5");

    /// <summary>The PIN the key is protected with; <see langword="null"/> means no PIN is set.</summary>
    public string? Pin { get; init; }

    /// <summary>PIN attempts left before the key blocks (CTAP 2.1 allows at most 8).</summary>
    public int PinRetries { get; init; } = 8;

    /// <summary>How long after asking the user touches the key; <see langword="null"/> means never.</summary>
    public TimeSpan? TouchAfter { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the key waits for a touch before answering USER_ACTION_TIMEOUT.</summary>
    public TimeSpan TouchTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public Guid Aaguid { get; init; } = DefaultAaguid;

    /// <summary>The PIN/UV auth protocols getInfo offers, preferred first; a platform picks the first it knows.</summary>
    public IReadOnlyList<int> PinProtocols { get; init; } = [2, 1];

    /// <summary>Whether x5c carries the intermediate after the leaf, as newer YubiKeys do (default), or the leaf alone.</summary>
    public bool PresentsIntermediate { get; init; } = true;

    /// <summary>The chain behind packed attestation; made fresh for <see cref="Aaguid"/> when not given.</summary>
    public AttestationChain? Attestation { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
