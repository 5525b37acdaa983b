using System.Formats.Cbor;
using Vouch.FidoSimulator.Attestation;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// The CTAP 2.1 authenticator behind the HID transport: getInfo, makeCredential, getAssertion and clientPIN,
/// one command at a time, as a security key does. Credentials live in memory for the simulator's lifetime.
/// </summary>
public sealed partial class Authenticator : IDisposable
{
    private const byte MakeCredentialCommand = 0x01;
    private const byte GetAssertionCommand = 0x02;
    private const byte GetInfoCommand = 0x04;
    private const byte ClientPinCommand = 0x06;

    private readonly SimulatorOptions _options;
    private readonly AttestationChain _attestation;
    private readonly bool _ownsAttestation;
    private readonly ClientPin _clientPin;
    private readonly UserPresence _userPresence;
    private readonly List<Credential> _credentials = [];
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private uint _signCount;

    public Authenticator(SimulatorOptions options)
    {
        _options = options;
        _ownsAttestation = options.Attestation is null;
        _attestation = options.Attestation ?? AttestationChain.Create(options.Aaguid, options.TimeProvider);
        _clientPin = new ClientPin(options.Pin, options.PinRetries, options.PinProtocols);
        _userPresence = new UserPresence(options);
    }

    /// <summary>
    /// Completes once the key first waits for a touch, its first KEEPALIVE UPNEEDED sent: a test that acts "while the
    /// key waits" (unplug, cancel) awaits this instead of sleeping.
    /// </summary>
    public Task WaitingForTouch => _userPresence.Waiting;

    /// <summary>The chain this key's attestation statements are signed under.</summary>
    public AttestationChain Attestation => _attestation;

    /// <summary>Runs one CTAPHID_CBOR request (command byte, then a CBOR map) and returns status byte + CBOR.</summary>
    public async Task<byte[]> ProcessAsync(byte[] request, CommandContext context)
    {
        await _oneAtATime.WaitAsync(context.Cancellation);
        try
        {
            var parameters = request.AsMemory(1);
            return request[0] switch
            {
                GetInfoCommand => GetInfo(),
                MakeCredentialCommand => await MakeCredentialAsync(ReadParameters(parameters), context),
                GetAssertionCommand => await GetAssertionAsync(ReadParameters(parameters), context),
                ClientPinCommand => _clientPin.Process(ReadParameters(parameters)),
                _ => Responses.Status(CtapStatus.InvalidCommand),
            };
        }
        catch (CtapRequestException e)
        {
                        return Responses.Status(e.Status);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose()
    {
        _clientPin.Dispose();
        _oneAtATime.Dispose();
        foreach (var credential in _credentials)
            credential.Key.Dispose();
        if (_ownsAttestation)
            _attestation.Dispose();
    }

    private static CborMap<int> ReadParameters(ReadOnlyMemory<byte> parameters) =>
        parameters.IsEmpty ? throw new CtapRequestException(CtapStatus.MissingParameter) : CborMap.Read(parameters, r => r.ReadInt32());

    private byte[] GetInfo() => Responses.Ok(w =>
    {
        w.WriteStartMap(null);
        w.WriteInt32(0x01);
        w.WriteStartArray(2);
        w.WriteTextString("FIDO_2_0");
        w.WriteTextString("FIDO_2_1");
        w.WriteEndArray();
        w.WriteInt32(0x03);
        w.WriteByteString(_options.Aaguid.ToByteArray(bigEndian: true));
        w.WriteInt32(0x04);
        w.WriteStartMap(null);
        w.WriteTextString("rk");
        w.WriteBoolean(true);
        w.WriteTextString("up");
        w.WriteBoolean(true);
        w.WriteTextString("plat");
        w.WriteBoolean(false);
        w.WriteTextString("clientPin");
        w.WriteBoolean(_clientPin.IsPinSet);
        w.WriteTextString("pinUvAuthToken");
        w.WriteBoolean(true);
        w.WriteEndMap();
        w.WriteInt32(0x05);
        w.WriteInt32(1200);
        w.WriteInt32(0x06);
        w.WriteStartArray(null);
        foreach (var version in _clientPin.ProtocolVersions)
            w.WriteInt32(version);
        w.WriteEndArray();
        w.WriteInt32(0x09);
        w.WriteStartArray(1);
        w.WriteTextString("usb");
        w.WriteEndArray();
        w.WriteInt32(0x0a);
        w.WriteStartArray(1);
        w.WriteStartMap(2);
        w.WriteTextString("alg");
        w.WriteInt32(CoseKey.Es256);
        w.WriteTextString("type");
        w.WriteTextString("public-key");
        w.WriteEndMap();
        w.WriteEndArray();
        w.WriteEndMap();
    });

    /// <summary>
    /// The pinUvAuthParam check shared by makeCredential and getAssertion: OK with uv when it verifies, OK without
    /// uv when there is none and none is needed, otherwise the status to answer.
    /// </summary>
    private async Task<(CtapStatus Status, bool UserVerified)> CheckPinUvAuthAsync(
        CborMap<int> request, int paramKey, byte[] clientDataHash, PinPermissions permission, string rpId, bool required, CommandContext context)
    {
        var pinUvAuthParam = request.Bytes(paramKey);
        if (pinUvAuthParam is null)
            return (required && _clientPin.IsPinSet ? CtapStatus.PuatRequired : CtapStatus.Ok, false);

        // A zero-length pinUvAuthParam is a platform asking for a touch to pick a key (§6.1.2 step 1).
        if (pinUvAuthParam.Length == 0)
        {
            if (!await _userPresence.WaitForTouchAsync(context))
                return (CtapStatus.UserActionTimeout, false);
            return (_clientPin.IsPinSet ? CtapStatus.PinInvalid : CtapStatus.PinNotSet, false);
        }

        var protocol = request.Number(paramKey + 1);
        if (protocol is null)
            return (CtapStatus.MissingParameter, false);
        if (!_clientPin.SupportsProtocol((int)protocol))
            return (CtapStatus.InvalidParameter, false);
        var status = _clientPin.Verify((int)protocol, clientDataHash, pinUvAuthParam, permission, rpId);
        return (status, status == CtapStatus.Ok);
    }

    private static byte[] AuthenticatorData(string rpId, byte flags, uint signCount, byte[]? attestedCredentialData)
    {
        var rpIdHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rpId));
        var counter = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(counter, signCount);
        return [.. rpIdHash, flags, .. counter, .. attestedCredentialData ?? []];
    }

    private uint NextSignCount() => ++_signCount;
}
