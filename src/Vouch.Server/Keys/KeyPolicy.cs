namespace Vouch.Server.Keys;

/// <summary>
/// The timing rules of signing keys. A key is published at least <see cref="PublishLead"/> before it signs, signs
/// for <see cref="RotationInterval"/>, and stays published for <see cref="RetiredRetention"/> after it stops.
/// </summary>
public sealed record KeyPolicy(TimeSpan RotationInterval)
{
    /// <summary>How long JWKS responses may be cached (<c>Cache-Control: max-age</c>).</summary>
    public static readonly TimeSpan JwksMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>How often every instance re-reads the keys from the database.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The shortest time between publishing a key and signing with it: a verifier's cached JWKS is then never
    /// missing the key of a token it is shown, and every instance has re-read the keys.
    /// </summary>
    public static readonly TimeSpan PublishLead = JwksMaxAge + RefreshInterval + RefreshInterval;

    /// <summary>
    /// The shortest time between a rotation and the moment its already-published key starts signing. Every
    /// instance signs and orders its JWKS (current key first) by the activation times it last read, re-read every
    /// <see cref="RefreshInterval"/>; a rotation moves an activation earlier, and until an instance has re-read it,
    /// it still signs with (and publishes first) the old key. Two intervals give every instance one pass that
    /// starts within an interval of the rotation and a whole interval more to finish (or to fail once and run
    /// again), so all instances switch together at the stored activation time. Verifiers that use only the first
    /// JWKS key (Ceph RGW 16.2) then never see one instance's key order while holding another's token.
    /// </summary>
    public static readonly TimeSpan RotationLead = RefreshInterval + RefreshInterval;

    /// <summary>
    /// How long a key stays published after it stopped signing: the longest token lifetime (15 min, counted from
    /// an <c>iat</c> set 60 s back) plus 10 minutes for verifiers' clock skew.
    /// </summary>
    public static readonly TimeSpan RetiredRetention = TimeSpan.FromMinutes(25);

    /// <summary>The policy for <paramref name="rotationDays"/>, or null with a problem that names the setting.</summary>
    internal static KeyPolicy? Resolve(int rotationDays, List<Problem> errors)
    {
        if (rotationDays is >= 1 and <= 365) return new KeyPolicy(TimeSpan.FromDays(rotationDays));
        errors.Add(SettingProblem.Of($"key rotation {SettingNames.KeyRotationDays} must be 1 to 365 days, not {rotationDays}"));
        return null;
    }
}
