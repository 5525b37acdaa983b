using System.Buffers.Binary;

namespace Vouch.FidoSimulator.Hid;

/// <summary>One CTAPHID message put back together from its reports.</summary>
public sealed record HidMessage(uint Channel, byte Command, byte[] Payload);

/// <summary>What one report did to the message being assembled.</summary>
public enum AssemblyResult
{
    Incomplete,
    Complete,
    Ignored,
    InvalidSequence,
    InvalidLength,
}

/// <summary>Joins an initialization report and its continuation reports (sequence 0, 1, …) into a message.</summary>
public sealed class MessageAssembler
{
    private uint _channel;
    private byte _command;
    private byte[]? _payload;
    private int _received;
    private byte _nextSequence;

    public AssemblyResult Add(ReadOnlySpan<byte> report, out HidMessage? message)
    {
        message = null;
        var channel = BinaryPrimitives.ReadUInt32BigEndian(report);
        if ((report[4] & 0x80) != 0)
        {
            _channel = channel;
            var length = BinaryPrimitives.ReadUInt16BigEndian(report[5..]);
            if (length > CtapHid.MaxMessageSize)
            {
                _payload = null;
                return AssemblyResult.InvalidLength;
            }
            (_command, _payload, _received, _nextSequence) = (report[4], new byte[length], 0, 0);
            Append(report.Slice(7, CtapHid.InitDataSize));
        }
        else
        {
            // A continuation with no message under way, or for another channel, is spurious: the spec says ignore it.
            if (_payload is null || channel != _channel)
                return AssemblyResult.Ignored;
            if (report[4] != _nextSequence)
            {
                _payload = null;
                return AssemblyResult.InvalidSequence;
            }
            _nextSequence++;
            Append(report.Slice(5, CtapHid.ContinuationDataSize));
        }

        if (_received < _payload.Length)
            return AssemblyResult.Incomplete;
        message = new HidMessage(_channel, _command, _payload);
        _payload = null;
        return AssemblyResult.Complete;
    }

    /// <summary>The channel of the message under way, even one that failed: errors are answered on it.</summary>
    public uint Channel => _channel;

    private void Append(ReadOnlySpan<byte> data)
    {
        var size = Math.Min(data.Length, _payload!.Length - _received);
        data[..size].CopyTo(_payload.AsSpan(_received));
        _received += size;
    }
}
