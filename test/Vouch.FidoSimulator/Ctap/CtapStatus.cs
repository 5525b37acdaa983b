namespace Vouch.FidoSimulator.Ctap;

/// <summary>The CTAP 2.1 status codes (§8.2.1) the simulator answers with.</summary>
public enum CtapStatus : byte
{
    Ok = 0x00,
    InvalidCommand = 0x01,
    InvalidParameter = 0x02,
    InvalidLength = 0x03,
    CborUnexpectedType = 0x11,
    InvalidCbor = 0x12,
    MissingParameter = 0x14,
    CredentialExcluded = 0x19,
    UnsupportedAlgorithm = 0x26,
    InvalidOption = 0x2c,
    KeepaliveCancel = 0x2d,
    NoCredentials = 0x2e,
    UserActionTimeout = 0x2f,
    NotAllowed = 0x30,
    PinInvalid = 0x31,
    PinBlocked = 0x32,
    PinAuthInvalid = 0x33,
    PinAuthBlocked = 0x34,
    PinNotSet = 0x35,

    /// <summary>PIN_REQUIRED in CTAP 2.0, PUAT_REQUIRED in 2.1: the same code.</summary>
    PuatRequired = 0x36,

    UnauthorizedPermission = 0x40,
}
