using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Server.Aws;
using Vouch.Server.Hosting;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Aws;

/// <summary>What <c>vouch-server aws setup</c> generates, read back by bash, js-yaml and hcl2json.</summary>
public sealed class AwsSetupTests
{
    private static AwsRoleSpec Spec(string? account = "123456789012") => new()
    {
        Issuer = "https://vouch.example.com", Audience = "vouch.example.com", Thumbprint = new string('a', 40), AccountId = account,
        Emails = ["o'neil+aws@other.org"], Domains = ["example.com"], PolicyArns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    };

    /// <summary>Runs the CLI script in bash with <c>aws</c> replaced by a function that prints the trust policy it is given.</summary>
    private static async Task<JsonNode> TrustPolicyFromCliScriptAsync(AwsRoleSpec spec)
    {
        var stub = """
            aws() {
              if [ "$1 $2" = "sts get-caller-identity" ]; then echo 210987654321; return 0; fi
              while [ $# -gt 0 ]; do
                if [ "$1" = --assume-role-policy-document ]; then printf '%s\n' "$2"; fi
                shift
              done
            }
            """;
        var result = await ProcessRunner.RunAsync("bash", ["-c", stub + "\n" + AwsSetupFormats.Render(spec, AwsSetupFormat.Cli)]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return JsonNode.Parse(result.StandardOutput.Trim())!;
    }

    private static async Task<JsonElement> ParseAsync(string kind, string text)
    {
        using var directory = new TemporaryDirectory();
        var file = directory.File(kind == "yaml" ? "vouch.yaml" : "vouch.tf");
        await File.WriteAllTextAsync(file, text);
        var parsed = await NodePeers.ParseConfigAsync(kind, file);
        Assert.True(parsed.GetProperty("ok").GetBoolean(), parsed.ToString());
        return parsed.GetProperty("document");
    }

    [Fact]
    public void The_trust_policy_allows_web_identity_and_session_tags_for_this_audience_only()
    {
        var policy = JsonNode.Parse(new AwsRoleSpec { Issuer = "https://vouch.example.com", Audience = "aud-1", Thumbprint = new string('0', 40) }
            .TrustPolicyJson("arn:aws:iam::123456789012:oidc-provider/vouch.example.com"))!;

        var statement = Assert.Single(policy["Statement"]!.AsArray())!;
        Assert.Equal("2012-10-17", (string?)policy["Version"]);
        Assert.Equal("arn:aws:iam::123456789012:oidc-provider/vouch.example.com", (string?)statement["Principal"]!["Federated"]);
        Assert.Equal(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"], statement["Action"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("""{"StringEquals":{"vouch.example.com:aud":"aud-1"}}""", statement["Condition"]!.ToJsonString());
    }

    [Fact]
    public void Emails_and_domains_each_get_a_statement_so_that_either_admits()
    {
        var policy = JsonNode.Parse(Spec().TrustPolicyJson("arn:aws:iam::123456789012:oidc-provider/vouch.example.com"))!;

        var conditions = policy["Statement"]!.AsArray().Select(s => s!["Condition"]).ToList();
        JsonNode[] expected =
        [
            JsonNode.Parse("""{"StringEquals":{"vouch.example.com:aud":"vouch.example.com","vouch.example.com:sub":["o'neil+aws@other.org"]}}""")!,
            JsonNode.Parse("""{"StringEquals":{"vouch.example.com:aud":"vouch.example.com"},"StringLike":{"vouch.example.com:sub":["*@example.com"]}}""")!,
        ];
        Assert.Equal(2, conditions.Count);
        Assert.True(JsonNode.DeepEquals(expected[0], conditions[0]), conditions[0]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected[1], conditions[1]), conditions[1]!.ToJsonString());
    }

    [Fact]
    public void With_source_identity_the_trust_policy_also_allows_setting_it()
    {
        var policy = JsonNode.Parse((Spec() with { SourceIdentity = true }).TrustPolicyJson("arn:aws:iam::1:oidc-provider/x"))!;

        Assert.All(policy["Statement"]!.AsArray(), s => Assert.Contains("sts:SetSourceIdentity", s!["Action"]!.AsArray().Select(a => (string?)a)));
    }

    [Fact]
    public async Task CloudFormation_and_terraform_carry_the_same_trust_policy_as_the_cli_script()
    {
        var spec = Spec();
        var cli = await TrustPolicyFromCliScriptAsync(spec);
        var template = await ParseAsync("yaml", AwsSetupFormats.Render(spec, AwsSetupFormat.CloudFormation));
        var terraform = await ParseAsync("hcl", AwsSetupFormats.Render(spec, AwsSetupFormat.Terraform));

        var fromTemplate = JsonNode.Parse(template.GetProperty("Resources").GetProperty("VouchRole").GetProperty("Properties").GetProperty("AssumeRolePolicyDocument").GetRawText())!;
        var fromTerraform = JsonNode.Parse(terraform.GetProperty("resource").GetProperty("aws_iam_role").GetProperty("vouch")[0].GetProperty("assume_role_policy").GetString()!)!;
        Assert.True(JsonNode.DeepEquals(cli, fromTemplate), $"{cli.ToJsonString()}\n{fromTemplate.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(cli, fromTerraform), $"{cli.ToJsonString()}\n{fromTerraform.ToJsonString()}");
        Assert.Equal("arn:aws:iam::123456789012:oidc-provider/vouch.example.com", (string?)cli["Statement"]![0]!["Principal"]!["Federated"]);
        Assert.Equal("https://vouch.example.com", template.GetProperty("Resources").GetProperty("VouchOidcProvider").GetProperty("Properties").GetProperty("Url").GetString());
        Assert.Equal("vouch.example.com", terraform.GetProperty("resource").GetProperty("aws_iam_openid_connect_provider").GetProperty("vouch")[0].GetProperty("client_id_list")[0].GetString());
    }

    [Fact]
    public async Task Without_an_account_id_each_format_looks_it_up_itself()
    {
        var spec = Spec(account: null);

        var cli = await TrustPolicyFromCliScriptAsync(spec);
        var template = await ParseAsync("yaml", AwsSetupFormats.Render(spec, AwsSetupFormat.CloudFormation));
        var terraform = await ParseAsync("hcl", AwsSetupFormats.Render(spec, AwsSetupFormat.Terraform));

        Assert.Equal("arn:aws:iam::210987654321:oidc-provider/vouch.example.com", (string?)cli["Statement"]![0]!["Principal"]!["Federated"]);
        var federated = template.GetProperty("Resources").GetProperty("VouchRole").GetProperty("Properties").GetProperty("AssumeRolePolicyDocument")
            .GetProperty("Statement")[0].GetProperty("Principal").GetProperty("Federated");
        Assert.Equal("arn:aws:iam::${AWS::AccountId}:oidc-provider/vouch.example.com", federated.GetProperty("Fn::Sub").GetString());
        Assert.True(terraform.GetProperty("data").GetProperty("aws_caller_identity").TryGetProperty("current", out _));
        Assert.Contains("${data.aws_caller_identity.current.account_id}",
            terraform.GetProperty("resource").GetProperty("aws_iam_role").GetProperty("vouch")[0].GetProperty("assume_role_policy").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--role-name")]
    [InlineData("--account-id")]
    [InlineData("--restrict-email")]
    [InlineData("--restrict-domain")]
    [InlineData("--policy-arn")]
    [InlineData("--max-session-duration")]
    public void Each_bad_value_is_named_by_its_flag(string flag)
    {
        var spec = flag switch
        {
            "--role-name" => Spec() with { RoleName = "has space" },
            "--account-id" => Spec() with { AccountId = "12345" },
            "--restrict-email" => Spec() with { Emails = ["not-an-email"] },
            "--restrict-domain" => Spec() with { Domains = ["Example..com"] },
            "--policy-arn" => Spec() with { PolicyArns = ["arn:aws:s3:::bucket"] },
            _ => Spec() with { MaxSessionDuration = 60 },
        };

        Assert.Contains(flag, Assert.Single(spec.Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_thumbprint_is_of_the_top_intermediate_the_server_sends_not_of_a_root_it_also_sends()
    {
        using var chain = TestChain.Create();

        Assert.Equal(Sha1(chain.Intermediate), IssuerThumbprint.Compute([chain.Leaf, chain.Intermediate]));
        Assert.Equal(Sha1(chain.Intermediate), IssuerThumbprint.Compute([chain.Leaf, chain.Root, chain.Intermediate]));
        Assert.Equal(Sha1(chain.Leaf), IssuerThumbprint.Compute([chain.Leaf]));
    }

    [Fact]
    public async Task The_thumbprint_is_read_from_a_live_tls_server()
    {
        using var chain = TestChain.Create();
        using var directory = new TemporaryDirectory();
        var (certificate, key) = chain.WritePem(directory.Path);
        var port = FreePort.Next();
        await using var server = await InProcessServer.StartAsync(configure: s => s with
        {
            Listen = $"https://127.0.0.1:{port}", Tls = new TlsFiles(certificate, key),
        });

        var thumbprint = await IssuerThumbprint.FetchAsync($"https://127.0.0.1:{port}", CancellationToken.None);

        Assert.True(thumbprint.Succeeded, thumbprint.Problem?.Description);
        Assert.Equal(Sha1(chain.Intermediate), thumbprint.Value);
    }

    [Fact]
    public async Task An_unreachable_issuer_is_one_clear_refusal()
    {
        var thumbprint = await IssuerThumbprint.FetchAsync($"https://127.0.0.1:{FreePort.Next()}", CancellationToken.None);

        Assert.Contains("connection refused", thumbprint.Problem?.Description, StringComparison.Ordinal);
    }

    private static string Sha1(X509Certificate2 certificate) =>
#pragma warning disable CA5350 // The value AWS names a certificate by.
        Convert.ToHexStringLower(SHA1.HashData(certificate.RawData));
#pragma warning restore CA5350
}
