using System.Buffers.Text;
using System.Formats.Cbor;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators;
using Vouch.Cli.Terminal;

namespace Vouch.Cli.Authenticators;

/// <summary>
/// USB security keys (YubiKeys) through libfido2. It picks the key (the only one; at login the one that holds a
/// credential for the server; otherwise the person chooses), asks for its PIN on the terminal without echo only when
/// the key has one, tells the person to touch it, forwards what the key said whole, and maps libfido2's errors to one
/// actionable line. With <paramref name="simulatedKeys"/> (tests only) it talks to simulated keys on those Unix sockets.
/// </summary>
public sealed unsafe class Libfido2Authenticator(IConsole console, IReadOnlyList<string>? simulatedKeys = null) : IAuthenticator
{
    /// <summary>The longest a ceremony may take, touch included; a key that stops answering fails then instead of hanging.</summary>
    private const int OperationTimeoutMilliseconds = 60_000;

    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        var rp = options.GetProperty("rp");
        var user = options.GetProperty("user");
        var clientData = WebAuthnEncoding.ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, origin);
        var hash = WebAuthnEncoding.Hash(clientData);
        var userId = Base64Url.DecodeFromChars(user.GetProperty("id").GetString());
        using var device = Choose(Candidates(), "enroll");
        var pin = PinFor(device);
        var cred = Libfido2.CredNew();
        try
        {
            Check(device, Libfido2.CredSetType(cred, Libfido2.CoseEs256), "set type");
            fixed (byte* h = hash) Check(device, Libfido2.CredSetClientDataHash(cred, h, (nuint)hash.Length), "set client data");
            Check(device, Libfido2.CredSetRp(cred, rp.GetProperty("id").GetString()!, rp.TryGetProperty("name", out var n) ? n.GetString() : null), "set rp");
            fixed (byte* u = userId)
                Check(device, Libfido2.CredSetUser(cred, u, (nuint)userId.Length, user.GetProperty("name").GetString(), user.GetProperty("displayName").GetString(), null), "set user");
            Check(device, Libfido2.CredSetRk(cred, Libfido2.OptTrue), "set resident key");
            if (options.TryGetProperty("excludeCredentials", out var excluded) && excluded.ValueKind == JsonValueKind.Array)
            {
                foreach (var id in excluded.EnumerateArray().Select(e => Base64Url.DecodeFromChars(e.GetProperty("id").GetString())))
                    fixed (byte* i = id) Check(device, Libfido2.CredExclude(cred, i, (nuint)id.Length), "exclude credential");
            }
            console.Errors.WriteLine("Touch your security key...");
            Check(device, Libfido2.DevMakeCred(device.Handle, cred, pin), "make credential");

            // The attestation statement goes to the server as the key encoded it: its signature and every
            // certificate it sent (newer YubiKeys chain through intermediates the server needs).
            var format = Marshal.PtrToStringUTF8(Libfido2.CredFmt(cred)) ?? "none";
            var authData = Libfido2.Copy(Libfido2.CredAuthDataRawPtr(cred), Libfido2.CredAuthDataRawLen(cred));
            var statement = Libfido2.Copy(Libfido2.CredAttStmtPtr(cred), Libfido2.CredAttStmtLen(cred));
            var credentialId = Libfido2.Copy(Libfido2.CredIdPtr(cred), Libfido2.CredIdLen(cred));
            byte[] attestation;
            try
            {
                attestation = WebAuthnEncoding.AttestationObject(format, authData, format == "none" ? [] : statement);
            }
            catch (ArgumentException)
            {
                throw new AuthenticatorException(AuthenticatorFailure.NoKey, "the security key returned a malformed attestation statement");
            }
            return WebAuthnEncoding.AttestationCredential(credentialId, attestation, clientData);
        }
        finally
        {
            Libfido2.CredFree(ref cred);
        }
    }

    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        var rpId = options.GetProperty("rpId").GetString()!;
        var allowed = WebAuthnEncoding.AllowedCredentials(options);
        var clientData = WebAuthnEncoding.ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, origin);
        var hash = WebAuthnEncoding.Hash(clientData);
        using var device = ChooseHolder(rpId, allowed);
        var pin = PinFor(device);
        var assertion = Libfido2.AssertNew();
        try
        {
            Prepare(device, assertion, rpId, hash, allowed, userPresence: true);
            console.Errors.WriteLine("Touch your security key...");
            Check(device, Libfido2.DevGetAssert(device.Handle, assertion, pin), "get assertion");
            if (Libfido2.AssertCount(assertion) == 0) throw NoCredential();

            // libfido2 hands authenticator data as a CBOR byte string; WebAuthn wants the bytes inside, all of them.
            var authData = UnwrapCborByteString(Libfido2.Copy(Libfido2.AssertAuthDataPtr(assertion, 0), Libfido2.AssertAuthDataLen(assertion, 0)));
            var signature = Libfido2.Copy(Libfido2.AssertSigPtr(assertion, 0), Libfido2.AssertSigLen(assertion, 0));
            var credentialId = Libfido2.Copy(Libfido2.AssertIdPtr(assertion, 0), Libfido2.AssertIdLen(assertion, 0));
            var userHandle = Libfido2.Copy(Libfido2.AssertUserIdPtr(assertion, 0), Libfido2.AssertUserIdLen(assertion, 0));
            return WebAuthnEncoding.AssertionCredential(credentialId, authData, signature, clientData, userHandle.Length > 0 ? userHandle : null);
        }
        finally
        {
            Libfido2.AssertFree(ref assertion);
        }
    }

    /// <summary>
    /// The PIN to send: asked on the terminal when the key has one. A key with neither a PIN nor built-in user
    /// verification cannot satisfy the server, which requires user verification, so it is refused before any touch.
    /// </summary>
    private string? PinFor(Device device)
    {
        if (!Libfido2.DevHasPin(device.Handle))
        {
            if (Libfido2.DevHasUv(device.Handle)) return null;
            throw new AuthenticatorException(AuthenticatorFailure.NoKey,
                "this security key has no PIN yet, and the server requires one: set it with 'ykman fido access change-pin' " +
                "(or your key vendor's tool), then run this command again");
        }
        if (!console.IsInteractive)
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "the security key's PIN is needed but no terminal is attached to ask for it: run this command in a terminal");
        var pin = console.ReadSecret("Security key PIN: ");
        if (string.IsNullOrEmpty(pin))
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "no PIN entered: run the command again and type the security key's PIN");
        return pin;
    }

    /// <summary>At login: the one key that holds a credential for <paramref name="rpId"/>, found without a touch or a PIN.</summary>
    private Device ChooseHolder(string rpId, IReadOnlyList<byte[]> allowed)
    {
        var candidates = Candidates();
        if (candidates.Count <= 1) return Choose(candidates, "log in with");
        var holders = new List<KeyCandidate>();
        foreach (var candidate in candidates)
        {
            using var device = Open(candidate);
            if (Holds(device, rpId, allowed)) holders.Add(candidate);
        }
        if (holders.Count == 0) throw NoCredential();
        return Choose(holders, "log in with");
    }

    /// <summary>Asks the key, without user presence, whether it holds a credential for the RP (CTAP 2.1 "silent" assertion).</summary>
    private static bool Holds(Device device, string rpId, IReadOnlyList<byte[]> allowed)
    {
        var assertion = Libfido2.AssertNew();
        try
        {
            Prepare(device, assertion, rpId, RandomNumberGenerator.GetBytes(32), allowed, userPresence: false);
            return Libfido2.DevGetAssert(device.Handle, assertion, null) == Libfido2.Ok && Libfido2.AssertCount(assertion) > 0;
        }
        finally
        {
            Libfido2.AssertFree(ref assertion);
        }
    }

    private static void Prepare(Device device, nint assertion, string rpId, byte[] hash, IReadOnlyList<byte[]> allowed, bool userPresence)
    {
        Check(device, Libfido2.AssertSetRp(assertion, rpId), "set rp");
        fixed (byte* h = hash) Check(device, Libfido2.AssertSetClientDataHash(assertion, h, (nuint)hash.Length), "set client data");
        foreach (var id in allowed)
            fixed (byte* i = id) Check(device, Libfido2.AssertAllowCred(assertion, i, (nuint)id.Length), "allow credential");
        Check(device, Libfido2.AssertSetUp(assertion, userPresence ? Libfido2.OptTrue : Libfido2.OptFalse), "set user presence");
    }

    /// <summary>The only key, or the one the person picks when there are several (never a guess without a terminal).</summary>
    private Device Choose(IReadOnlyList<KeyCandidate> candidates, string purpose)
    {
        if (candidates.Count == 0)
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "no security key found: insert your YubiKey and try again");
        if (candidates.Count == 1) return Open(candidates[0]);
        if (!console.IsInteractive)
            throw new AuthenticatorException(AuthenticatorFailure.NoKey,
                $"{candidates.Count} security keys are plugged in and no terminal is attached to ask which one to {purpose}: unplug all but one, or run this command in a terminal");
        console.Errors.WriteLine($"{candidates.Count} security keys are plugged in:");
        for (var i = 0; i < candidates.Count; i++) console.Errors.WriteLine($"  {i + 1}) {candidates[i].Description}");
        var answer = console.ReadLine($"Which one do you want to {purpose}? [1-{candidates.Count}]: ")?.Trim();
        if (!int.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var choice) || choice < 1 || choice > candidates.Count)
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, $"'{answer}' is not one of the keys listed (1 to {candidates.Count}): run the command again");
        return Open(candidates[choice - 1]);
    }

    private List<KeyCandidate> Candidates() =>
        simulatedKeys is not null
            ? simulatedKeys.Select(path => new KeyCandidate(path, $"simulated key at {path}", Simulated: true)).ToList()
            : InsertedKeys();

    /// <summary>The paths of the security keys libfido2 finds (for 'vouch doctor').</summary>
    public static IReadOnlyList<string> DevicePaths() => InsertedKeys().Select(k => k.Path).ToList();

    /// <summary>The security keys libfido2 finds (at most 16), first one first.</summary>
    private static List<KeyCandidate> InsertedKeys()
    {
        try
        {
            Libfido2.Init(0);
        }
        catch (DllNotFoundException)
        {
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "libfido2 is not installed (apt-get install libfido2-1)");
        }
        var list = Libfido2.DevInfoNew(16);
        try
        {
            if (Libfido2.DevInfoManifest(list, 16, out var found) != Libfido2.Ok) return [];
            var keys = new List<KeyCandidate>((int)found);
            for (nuint i = 0; i < found; i++)
            {
                var info = Libfido2.DevInfoPtr(list, i);
                var path = Marshal.PtrToStringUTF8(Libfido2.DevInfoPath(info))!;
                var name = $"{Marshal.PtrToStringUTF8(Libfido2.DevInfoManufacturer(info))} {Marshal.PtrToStringUTF8(Libfido2.DevInfoProduct(info))}".Trim();
                keys.Add(new KeyCandidate(path, name.Length > 0 ? $"{name} ({path})" : path, Simulated: false));
            }
            return keys;
        }
        finally
        {
            Libfido2.DevInfoFree(ref list, 16);
        }
    }

    private static Device Open(KeyCandidate candidate)
    {
        Libfido2.Init(0);
        var dev = Libfido2.DevNew();
        var opened = candidate.Simulated ? SocketHidTransport.Install(dev) : Libfido2.Ok;
        if (opened == Libfido2.Ok) opened = Libfido2.DevOpen(dev, candidate.Path);
        if (opened == Libfido2.Ok) opened = Libfido2.DevSetTimeout(dev, OperationTimeoutMilliseconds);
        if (opened != Libfido2.Ok)
        {
            Libfido2.DevFree(ref dev);
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, candidate.Simulated
                ? $"cannot open the simulated security key at {candidate.Path} ({SocketHidTransport.EnvironmentVariable}): {Libfido2.Describe(opened)}"
                : $"cannot open the security key at {candidate.Path}: {Libfido2.Describe(opened)} (check the udev rules for your user)");
        }
        return new Device(dev);
    }

    private static AuthenticatorException NoCredential() =>
        new(AuthenticatorFailure.NoKey, "no security key here holds a credential for this server: run 'vouch enroll' first");

    private static void Check(Device device, int code, string step)
    {
        if (code == Libfido2.Ok) return;
        throw new AuthenticatorException(AuthenticatorFailure.NoKey, code switch
        {
            Libfido2.ErrPinInvalid => WrongPin(device),
            Libfido2.ErrPinBlocked => "the security key's PIN is blocked after too many wrong PINs: reset its FIDO application (ykman fido reset), which erases its credentials, and enroll again",
            Libfido2.ErrPinAuthBlocked => "too many wrong PINs in a row: remove and reinsert the security key, then try again",
            Libfido2.ErrPinNotSet => "this security key has no PIN yet, and the server requires one: set it with 'ykman fido access change-pin', then run this command again",
            Libfido2.ErrPinRequired => "the security key needs its PIN: enter it when asked",
            Libfido2.ErrUvBlocked => "user verification is blocked on the security key: enter the PIN to unblock it",
            Libfido2.ErrActionTimeout => "timed out waiting for a touch: run the command again and touch the key when it blinks",
            Libfido2.ErrOperationDenied => "the operation was denied on the key",
            Libfido2.ErrCredentialExcluded => "this security key is already enrolled on this server: log in with it ('vouch login')",
            Libfido2.ErrNoCredentials => "no security key here holds a credential for this server: run 'vouch enroll' first",
            Libfido2.ErrRx or Libfido2.ErrTx => "lost contact with the security key (was it removed?): reinsert it and run the command again",
            _ => $"the security key failed to {step}: {Libfido2.Describe(code)}",
        });
    }

    /// <summary>How many tries are left, read from the key itself, so the person knows how close it is to blocking.</summary>
    private static string WrongPin(Device device)
    {
        if (Libfido2.DevGetRetryCount(device.Handle, out var retries) != Libfido2.Ok)
            return "wrong PIN: run the command again";
        return retries switch
        {
            0 => "wrong PIN, and no tries are left: the security key's PIN is now blocked",
            1 => "wrong PIN: 1 try left before the security key blocks its PIN",
            _ => $"wrong PIN: {retries} tries left before the security key blocks its PIN",
        };
    }

    private static byte[] UnwrapCborByteString(byte[] cbor)
    {
        try
        {
            var reader = new CborReader(cbor, CborConformanceMode.Lax);
            var inner = reader.ReadByteString();
            return reader.BytesRemaining == 0 ? inner : throw new CborContentException("trailing bytes");
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException)
        {
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "the security key returned malformed authenticator data");
        }
    }

    private sealed record KeyCandidate(string Path, string Description, bool Simulated);

    private sealed class Device(nint handle) : IDisposable
    {
        public nint Handle => handle;

        public void Dispose()
        {
            var dev = handle;
            // Closing can only fail on a device that is already gone; there is nothing left to do then.
            _ = Libfido2.DevClose(dev);
            Libfido2.DevFree(ref dev);
        }
    }
}
