using System.Runtime.InteropServices;

namespace Vouch.Cli.Authenticators;

/// <summary>The part of libfido2 (Debian <c>libfido2-1</c>) that Vouch calls. Pointers are opaque handles.</summary>
internal static unsafe partial class Libfido2
{
    private const string Library = "libfido2.so.1";

    public const int Ok = 0x00;
    public const int ErrCredentialExcluded = 0x19;
    public const int ErrActionTimeout = 0x2f;
    public const int ErrNoCredentials = 0x2e;
    public const int ErrOperationDenied = 0x27;
    public const int ErrPinInvalid = 0x31;
    public const int ErrPinBlocked = 0x32;
    public const int ErrPinAuthBlocked = 0x34;
    public const int ErrPinNotSet = 0x35;
    public const int ErrPinRequired = 0x36;
    public const int ErrUvBlocked = 0x3c;
    public const int ErrRx = -2;
    public const int ErrTx = -1;

    public const int CoseEs256 = -7;
    public const int OptOmit = 0;
    public const int OptFalse = 1;
    public const int OptTrue = 2;

    [LibraryImport(Library, EntryPoint = "fido_init")] public static partial void Init(int flags);
    [LibraryImport(Library, EntryPoint = "fido_strerr")] public static partial nint StrErr(int code);

    [LibraryImport(Library, EntryPoint = "fido_dev_info_new")] public static partial nint DevInfoNew(nuint n);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_manifest")] public static partial int DevInfoManifest(nint list, nuint max, out nuint found);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_ptr")] public static partial nint DevInfoPtr(nint list, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_path")] public static partial nint DevInfoPath(nint info);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_free")] public static partial void DevInfoFree(ref nint list, nuint n);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_manufacturer_string")] public static partial nint DevInfoManufacturer(nint info);
    [LibraryImport(Library, EntryPoint = "fido_dev_info_product_string")] public static partial nint DevInfoProduct(nint info);

    /// <summary>fido_dev_io_t: the HID transport a program may supply instead of the USB device.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoFunctions
    {
        public delegate* unmanaged<byte*, nint> Open;
        public delegate* unmanaged<nint, void> Close;
        public delegate* unmanaged<nint, byte*, nuint, int, int> Read;
        public delegate* unmanaged<nint, byte*, nuint, int> Write;
    }

    [LibraryImport(Library, EntryPoint = "fido_dev_set_io_functions")] public static partial int DevSetIoFunctions(nint dev, IoFunctions* io);
    [LibraryImport(Library, EntryPoint = "fido_dev_new")] public static partial nint DevNew();
    [LibraryImport(Library, EntryPoint = "fido_dev_open", StringMarshalling = StringMarshalling.Utf8)] public static partial int DevOpen(nint dev, string path);
    [LibraryImport(Library, EntryPoint = "fido_dev_close")] public static partial int DevClose(nint dev);
    [LibraryImport(Library, EntryPoint = "fido_dev_free")] public static partial void DevFree(ref nint dev);
    [LibraryImport(Library, EntryPoint = "fido_dev_has_pin")] [return: MarshalAs(UnmanagedType.U1)] public static partial bool DevHasPin(nint dev);
    [LibraryImport(Library, EntryPoint = "fido_dev_has_uv")] [return: MarshalAs(UnmanagedType.U1)] public static partial bool DevHasUv(nint dev);
    [LibraryImport(Library, EntryPoint = "fido_dev_supports_pin")] [return: MarshalAs(UnmanagedType.U1)] public static partial bool DevSupportsPin(nint dev);
    [LibraryImport(Library, EntryPoint = "fido_dev_set_timeout")] public static partial int DevSetTimeout(nint dev, int milliseconds);
    [LibraryImport(Library, EntryPoint = "fido_dev_get_retry_count")] public static partial int DevGetRetryCount(nint dev, out int retries);
    [LibraryImport(Library, EntryPoint = "fido_dev_make_cred", StringMarshalling = StringMarshalling.Utf8)] public static partial int DevMakeCred(nint dev, nint cred, string? pin);
    [LibraryImport(Library, EntryPoint = "fido_dev_get_assert", StringMarshalling = StringMarshalling.Utf8)] public static partial int DevGetAssert(nint dev, nint assert, string? pin);

    [LibraryImport(Library, EntryPoint = "fido_cred_new")] public static partial nint CredNew();
    [LibraryImport(Library, EntryPoint = "fido_cred_free")] public static partial void CredFree(ref nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_set_type")] public static partial int CredSetType(nint cred, int type);
    [LibraryImport(Library, EntryPoint = "fido_cred_set_clientdata_hash")] public static partial int CredSetClientDataHash(nint cred, byte* hash, nuint length);
    [LibraryImport(Library, EntryPoint = "fido_cred_set_rp", StringMarshalling = StringMarshalling.Utf8)] public static partial int CredSetRp(nint cred, string id, string? name);
    [LibraryImport(Library, EntryPoint = "fido_cred_set_user", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int CredSetUser(nint cred, byte* userId, nuint length, string? name, string? displayName, string? icon);
    [LibraryImport(Library, EntryPoint = "fido_cred_set_rk")] public static partial int CredSetRk(nint cred, int option);
    [LibraryImport(Library, EntryPoint = "fido_cred_exclude")] public static partial int CredExclude(nint cred, byte* id, nuint length);
    [LibraryImport(Library, EntryPoint = "fido_cred_fmt")] public static partial nint CredFmt(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_authdata_raw_ptr")] public static partial byte* CredAuthDataRawPtr(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_authdata_raw_len")] public static partial nuint CredAuthDataRawLen(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_attstmt_ptr")] public static partial byte* CredAttStmtPtr(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_attstmt_len")] public static partial nuint CredAttStmtLen(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_id_ptr")] public static partial byte* CredIdPtr(nint cred);
    [LibraryImport(Library, EntryPoint = "fido_cred_id_len")] public static partial nuint CredIdLen(nint cred);

    [LibraryImport(Library, EntryPoint = "fido_assert_new")] public static partial nint AssertNew();
    [LibraryImport(Library, EntryPoint = "fido_assert_free")] public static partial void AssertFree(ref nint assert);
    [LibraryImport(Library, EntryPoint = "fido_assert_set_rp", StringMarshalling = StringMarshalling.Utf8)] public static partial int AssertSetRp(nint assert, string id);
    [LibraryImport(Library, EntryPoint = "fido_assert_set_clientdata_hash")] public static partial int AssertSetClientDataHash(nint assert, byte* hash, nuint length);
    [LibraryImport(Library, EntryPoint = "fido_assert_allow_cred")] public static partial int AssertAllowCred(nint assert, byte* id, nuint length);
    [LibraryImport(Library, EntryPoint = "fido_assert_set_up")] public static partial int AssertSetUp(nint assert, int option);
    [LibraryImport(Library, EntryPoint = "fido_assert_count")] public static partial nuint AssertCount(nint assert);
    [LibraryImport(Library, EntryPoint = "fido_assert_authdata_ptr")] public static partial byte* AssertAuthDataPtr(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_authdata_len")] public static partial nuint AssertAuthDataLen(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_sig_ptr")] public static partial byte* AssertSigPtr(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_sig_len")] public static partial nuint AssertSigLen(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_id_ptr")] public static partial byte* AssertIdPtr(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_id_len")] public static partial nuint AssertIdLen(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_user_id_ptr")] public static partial byte* AssertUserIdPtr(nint assert, nuint index);
    [LibraryImport(Library, EntryPoint = "fido_assert_user_id_len")] public static partial nuint AssertUserIdLen(nint assert, nuint index);

    public static byte[] Copy(byte* pointer, nuint length) => pointer is null ? [] : new ReadOnlySpan<byte>(pointer, checked((int)length)).ToArray();

    public static string Describe(int code) => Marshal.PtrToStringUTF8(StrErr(code)) ?? $"error {code}";
}
