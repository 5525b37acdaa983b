using System.Buffers.Binary;

namespace Vouch.FidoSimulator.Hid;

/// <summary>CTAPHID (CTAP 2.1 §11.2) constants and the split of a message into 64-byte reports.</summary>
public static class CtapHid
{
    public const int ReportSize = 64;
    public const int InitDataSize = ReportSize - 7;
    public const int ContinuationDataSize = ReportSize - 5;

    /// <summary>The largest message 128 continuation packets can carry: 7609 bytes.</summary>
    public const int MaxMessageSize = InitDataSize + 128 * ContinuationDataSize;

    public const uint BroadcastChannel = 0xffffffff;

    // Commands as they appear in an initialization packet (bit 7 set).
    public const byte Ping = 0x81;
    public const byte Msg = 0x83;
    public const byte Init = 0x86;
    public const byte Wink = 0x88;
    public const byte Cbor = 0x90;
    public const byte Cancel = 0x91;
    public const byte Keepalive = 0xbb;
    public const byte Error = 0xbf;

    // CTAPHID_ERROR codes.
    public const byte ErrInvalidCommand = 0x01;
    public const byte ErrInvalidParameter = 0x02;
    public const byte ErrInvalidLength = 0x03;
    public const byte ErrInvalidSequence = 0x04;
    public const byte ErrChannelBusy = 0x06;
    public const byte ErrInvalidChannel = 0x0b;

    // CTAPHID_KEEPALIVE status.
    public const byte StatusProcessing = 0x01;
    public const byte StatusUpNeeded = 0x02;

    // Capability flags in the INIT response: CBOR supported, MSG (CTAP1/U2F) not.
    public const byte CapabilityCbor = 0x04;
    public const byte CapabilityNoMsg = 0x08;

    /// <summary>The reports that carry <paramref name="payload"/> on <paramref name="channel"/>: one init, then continuations.</summary>
    public static IEnumerable<byte[]> Fragment(uint channel, byte command, ReadOnlyMemory<byte> payload)
    {
        var first = new byte[ReportSize];
        BinaryPrimitives.WriteUInt32BigEndian(first, channel);
        first[4] = command;
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(5), checked((ushort)payload.Length));
        var taken = Math.Min(payload.Length, InitDataSize);
        payload.Span[..taken].CopyTo(first.AsSpan(7));
        yield return first;

        for (byte sequence = 0; taken < payload.Length; sequence++)
        {
            var report = new byte[ReportSize];
            BinaryPrimitives.WriteUInt32BigEndian(report, channel);
            report[4] = sequence;
            var size = Math.Min(payload.Length - taken, ContinuationDataSize);
            payload.Span.Slice(taken, size).CopyTo(report.AsSpan(5));
            taken += size;
            yield return report;
        }
    }
}
