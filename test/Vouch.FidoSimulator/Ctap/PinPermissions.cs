namespace Vouch.FidoSimulator.Ctap;

/// <summary>The pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7) this key grants; be, cm, acfg, lbw and the rest are refused.</summary>
[Flags]
public enum PinPermissions : byte
{
    None = 0,
    MakeCredential = 0x01,
    GetAssertion = 0x02,
}
