using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators;
using Vouch.Cli.Terminal;

namespace Vouch.Cli.Authenticators;

/// <summary>
/// A USB security key (YubiKey) through libfido2: finds the first key, asks for its PIN on the terminal without
/// echo, tells the person to touch it, and maps libfido2's errors to one actionable line. With
/// <paramref name="deviceSocket"/> (tests only) it talks to a simulated key on that Unix socket instead.
/// </summary>
public sealed unsafe class Libfido2Authenticator(IConsole console, string? deviceSocket = null) : IAuthenticator
{
    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        var rp = options.GetProperty("rp");
        var user = options.GetProperty("user");
        var clientData = WebAuthnEncoding.ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, origin);
        var hash = WebAuthnEncoding.Hash(clientData);
        var userId = Base64Url.DecodeFromChars(user.GetProperty("id").GetString());
        using var device = OpenDevice();
        var pin = AskPin();
        var cred = Libfido2.CredNew();
        try
        {
            Check(Libfido2.CredSetType(cred, Libfido2.CoseEs256), "set type");
            fixed (byte* h = hash) Check(Libfido2.CredSetClientDataHash(cred, h, (nuint)hash.Length), "set client data");
            Check(Libfido2.CredSetRp(cred, rp.GetProperty("id").GetString()!, rp.TryGetProperty("name", out var n) ? n.GetString() : null), "set rp");
            fixed (byte* u = userId)
                Check(Libfido2.CredSetUser(cred, u, (nuint)userId.Length, user.GetProperty("name").GetString(), user.GetProperty("displayName").GetString(), null), "set user");
            Check(Libfido2.CredSetRk(cred, Libfido2.OptTrue), "set resident key");
            if (options.TryGetProperty("excludeCredentials", out var excluded) && excluded.ValueKind == JsonValueKind.Array)
            {
                foreach (var id in excluded.EnumerateArray().Select(e => Base64Url.DecodeFromChars(e.GetProperty("id").GetString())))
                    fixed (byte* i = id) Check(Libfido2.CredExclude(cred, i, (nuint)id.Length), "exclude credential");
            }
            console.Errors.WriteLine("Touch your YubiKey...");
            Check(Libfido2.DevMakeCred(device.Handle, cred, pin), "make credential");

            var format = Marshal.PtrToStringUTF8(Libfido2.CredFmt(cred)) ?? "none";
            var authData = Libfido2.Copy(Libfido2.CredAuthDataRawPtr(cred), Libfido2.CredAuthDataRawLen(cred));
            var signature = Libfido2.Copy(Libfido2.CredSigPtr(cred), Libfido2.CredSigLen(cred));
            var x5c = Libfido2.Copy(Libfido2.CredX5cPtr(cred), Libfido2.CredX5cLen(cred));
            var credentialId = Libfido2.Copy(Libfido2.CredIdPtr(cred), Libfido2.CredIdLen(cred));
            var attestation = WebAuthnEncoding.AttestationObject(format, authData, format == "none" ? null : signature, x5c.Length > 0 ? [x5c] : []);
            return WebAuthnEncoding.AttestationCredential(credentialId, attestation, clientData);
        }
        finally
        {
            Libfido2.CredFree(ref cred);
        }
    }

    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        var clientData = WebAuthnEncoding.ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, origin);
        var hash = WebAuthnEncoding.Hash(clientData);
        using var device = OpenDevice();
        var pin = AskPin();
        var assertion = Libfido2.AssertNew();
        try
        {
            Check(Libfido2.AssertSetRp(assertion, options.GetProperty("rpId").GetString()!), "set rp");
            fixed (byte* h = hash) Check(Libfido2.AssertSetClientDataHash(assertion, h, (nuint)hash.Length), "set client data");
            foreach (var id in WebAuthnEncoding.AllowedCredentials(options))
                fixed (byte* i = id) Check(Libfido2.AssertAllowCred(assertion, i, (nuint)id.Length), "allow credential");
            Check(Libfido2.AssertSetUp(assertion, Libfido2.OptTrue), "require presence");
            console.Errors.WriteLine("Touch your YubiKey...");
            Check(Libfido2.DevGetAssert(device.Handle, assertion, pin), "get assertion");
            if (Libfido2.AssertCount(assertion) == 0) throw new AuthenticatorException(AuthenticatorFailure.NoKey, "this YubiKey holds no credential for this server: run 'vouch enroll'");

            // libfido2 hands authenticator data as a CBOR byte string; WebAuthn wants the bytes inside.
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

    private string? AskPin()
    {
        if (!console.IsInteractive)
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "a YubiKey PIN is needed but no terminal is attached: run this command in a terminal");
        var pin = console.ReadSecret("YubiKey PIN: ");
        return string.IsNullOrEmpty(pin) ? null : pin;
    }

    /// <summary>The paths of the security keys libfido2 finds (at most 16), first one first.</summary>
    public static IReadOnlyList<string> DevicePaths()
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
            var paths = new List<string>((int)found);
            for (nuint i = 0; i < found; i++) paths.Add(Marshal.PtrToStringUTF8(Libfido2.DevInfoPath(Libfido2.DevInfoPtr(list, i)))!);
            return paths;
        }
        finally
        {
            Libfido2.DevInfoFree(ref list, 16);
        }
    }

    private Device OpenDevice()
    {
        if (deviceSocket is not null)
            return OpenSimulatedDevice(deviceSocket);
        if (DevicePaths() is not [var path, ..])
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, "no security key found: insert your YubiKey and try again");
        var dev = Libfido2.DevNew();
        var opened = Libfido2.DevOpen(dev, path);
        if (opened != Libfido2.Ok)
        {
            Libfido2.DevFree(ref dev);
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, $"cannot open the security key at {path}: {Libfido2.Describe(opened)} (check the udev rules for your user)");
        }
        return new Device(dev);
    }

    private static Device OpenSimulatedDevice(string socketPath)
    {
        Libfido2.Init(0);
        var dev = Libfido2.DevNew();
        var installed = SocketHidTransport.Install(dev);
        var opened = installed == Libfido2.Ok ? Libfido2.DevOpen(dev, socketPath) : installed;
        if (opened != Libfido2.Ok)
        {
            Libfido2.DevFree(ref dev);
            throw new AuthenticatorException(AuthenticatorFailure.NoKey,
                $"cannot open the simulated security key at {socketPath} ({SocketHidTransport.EnvironmentVariable}): {Libfido2.Describe(opened)}");
        }
        return new Device(dev);
    }

    private static void Check(int code, string step)
    {
        if (code == Libfido2.Ok) return;
        throw new AuthenticatorException(AuthenticatorFailure.NoKey, code switch
        {
            Libfido2.ErrPinInvalid => "wrong PIN: try again (the key blocks after 8 wrong PINs in a row)",
            Libfido2.ErrPinBlocked => "the YubiKey's PIN is blocked: reset the FIDO application (ykman fido reset) and enroll again",
            Libfido2.ErrPinAuthBlocked => "too many wrong PINs: remove and reinsert the YubiKey, then try again",
            Libfido2.ErrPinNotSet => "the YubiKey has no PIN yet: set one with 'ykman fido access change-pin'",
            Libfido2.ErrPinRequired => "the YubiKey needs its PIN: enter it when asked",
            Libfido2.ErrUvBlocked => "user verification is blocked on the YubiKey: enter the PIN to unblock it",
            Libfido2.ErrActionTimeout => "timed out waiting for a touch: run the command again and touch the key",
            Libfido2.ErrOperationDenied => "the operation was denied on the key",
            Libfido2.ErrNoCredentials => "this YubiKey holds no credential for this server: run 'vouch enroll'",
            Libfido2.ErrRx or Libfido2.ErrTx => "lost contact with the security key: reinsert it and try again",
            _ => $"the security key failed to {step}: {Libfido2.Describe(code)}",
        });
    }

    private static byte[] UnwrapCborByteString(byte[] cbor)
    {
        if (cbor.Length == 0 || (cbor[0] >> 5) != 2) return cbor;
        var info = cbor[0] & 0x1f;
        var offset = info switch { < 24 => 1, 24 => 2, 25 => 3, 26 => 5, _ => throw new AuthenticatorException(AuthenticatorFailure.NoKey, "the security key returned malformed data") };
        return cbor[offset..];
    }

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
