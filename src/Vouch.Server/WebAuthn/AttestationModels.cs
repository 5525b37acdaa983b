namespace Vouch.Server.WebAuthn;

/// <summary>
/// Reads a list of authenticator models: one AAGUID a line, blank lines and <c>#</c> comments (whole-line or trailing)
/// ignored. The format of <c>--attestation-aaguids</c> and of the shipped Yubico list.
/// </summary>
public static class AttestationModels
{
    public static Outcome<IReadOnlySet<Guid>> Parse(string text)
    {
        var models = new HashSet<Guid>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var comment = line.IndexOf('#', StringComparison.Ordinal);
            var value = (comment >= 0 ? line[..comment] : line).Trim();
            if (value.Length == 0) continue;
            // "D": the 36-character dashed form only, as vendors and the FIDO metadata service write AAGUIDs.
            if (!Guid.TryParseExact(value, "D", out var aaguid))
                return Outcome<IReadOnlySet<Guid>>.Fail(new Problem("invalid_setting", $"line {i + 1}: '{Shorten(value)}' is not an AAGUID (like cb69481e-8ff7-4039-93ec-0a2729a154a8)"));
            models.Add(aaguid);
        }
        return models.Count == 0
            ? Outcome<IReadOnlySet<Guid>>.Fail(new Problem("invalid_setting", "it lists no AAGUID"))
            : Outcome<IReadOnlySet<Guid>>.Ok(models);
    }

    private static string Shorten(string value) => value.Length > 40 ? value[..40] + "..." : value;
}
