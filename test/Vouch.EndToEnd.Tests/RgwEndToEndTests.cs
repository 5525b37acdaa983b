using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// Ceph RGW as a validating STS: it fetches the Vouch server's discovery document and JWKS, checks the token's
/// signature, issuer, audience and expiry, and applies the trust policies of the AWS documentation.
/// </summary>
[Collection(RgwTests.Name)]
public sealed class RgwEndToEndTests(RgwWorld world)
{
    /// <summary>Runs vouch for <paramref name="user"/> with RGW as its STS.</summary>
    private Task<ProcessResult> VouchAsync(CliSandbox user, params string[] arguments) => world.VouchAsync(user, arguments);

    [Fact]
    public async Task Rgw_accepts_the_token_and_its_credentials_work_for_s3()
    {
        var bucket = "vouch-" + Guid.NewGuid().ToString("N")[..12];

        var make = await VouchAsync(world.Alice, "exec", "--role", world.AudienceRole, "--", "aws", "--endpoint-url", world.Rgw.Endpoint, "s3", "mb", $"s3://{bucket}");
        var list = await VouchAsync(world.Alice, "exec", "--role", world.AudienceRole, "--", "aws", "--endpoint-url", world.Rgw.Endpoint, "s3", "ls");

        Assert.True(make.ExitCode == 0, make.StandardError + make.StandardOutput);
        Assert.True(list.ExitCode == 0, list.StandardError);
        Assert.Contains(bucket, list.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_for_one_email_admits_that_user_and_refuses_another()
    {
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", world.AliceRole);
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", world.AliceRole);

        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
        Assert.Contains("bob@other.org", bob.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_for_a_domain_admits_its_users_and_refuses_another_domain()
    {
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", world.DomainRole);
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", world.DomainRole);

        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
    }

    [Fact]
    public async Task A_domain_role_generated_by_aws_setup_and_applied_with_the_aws_cli_admits_that_domain_only()
    {
        // RGW's ARNs carry no account id; the provider for this issuer already exists, and the script finds it.
        var generated = await world.Vouch.AdminAsync("aws", "setup", "--format", "cli", "--issuer", world.Vouch.Issuer,
            "--account-id", "", "--role-name", "VouchGeneratedDomain", "--restrict-domain", "example.com");
        Assert.True(generated.ExitCode == 0, generated.StandardError);

        var applied = await ProcessRunner.RunAsync("bash", ["-c", generated.StandardOutput], world.Rgw.AdminEnvironment(), timeout: TimeSpan.FromSeconds(120));
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", "arn:aws:iam:::role/VouchGeneratedDomain");
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", "arn:aws:iam:::role/VouchGeneratedDomain");

        Assert.True(applied.ExitCode == 0, applied.StandardError + applied.StandardOutput);
        Assert.Contains("vouch setup aws --role arn:aws:iam:::role/VouchGeneratedDomain", applied.StandardError, StringComparison.Ordinal);
        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Contains("\"AccessKeyId\"", alice.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
    }

    [Fact]
    public async Task Session_tags_let_a_permission_policy_admit_one_domain_to_s3()
    {
        var bucket = "vouch-tags-" + Guid.NewGuid().ToString("N")[..12];

        // Both may assume the role (its trust policy asks only for the audience); S3 then looks at aws:PrincipalTag/domain.
        var alice = await VouchAsync(world.Alice, "exec", "--role", world.TaggedRole, "--", "aws", "--endpoint-url", world.Rgw.Endpoint, "s3", "mb", $"s3://{bucket}");
        // botocore cannot parse RGW's refusal of CreateBucket ("argument of type 'NoneType' is not iterable"): its
        // debug log shows the response RGW sent. (That log holds the session's keys: it is searched, never printed.)
        var bob = await VouchAsync(world.Bob, "exec", "--role", world.TaggedRole, "--", "aws", "--debug", "--endpoint-url", world.Rgw.Endpoint, "s3", "mb", $"s3://{bucket}-bob");

        Assert.True(alice.ExitCode == 0, alice.StandardError + alice.StandardOutput);
        Assert.Contains($"make_bucket: {bucket}", alice.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, bob.ExitCode);
        Assert.True(bob.StandardError.Contains("<Code>AccessDenied</Code>", StringComparison.Ordinal), "RGW did not answer bob's CreateBucket with AccessDenied");
        Assert.True(bob.StandardError.Contains("make_bucket failed", StringComparison.Ordinal), "bob's bucket was made");
    }

    [Fact]
    public async Task Rgw_admits_a_source_identity_token_without_sts_SetSourceIdentity_and_refuses_a_trust_policy_naming_it()
    {
        // A second Vouch server whose tokens carry https://aws.amazon.com/source_identity (--source-identity).
        await using var vouch = await VouchWorld.StartAsync(new Dictionary<string, string?> { ["VOUCH_SOURCE_IDENTITY"] = "true" });
        using var carol = new CliSandbox();
        await vouch.EnrollAndLoginAsync(carol, "carol@example.com");
        var host = vouch.Issuer["http://".Length..];
        await world.Rgw.RegisterIssuerAsync(vouch.Issuer, audience: host);
        var audience = $"{{\"StringEquals\":{{\"{host}:aud\":\"{host}\"}}}}";
        var without = await world.Rgw.CreateRoleAsync("VouchWithoutSourceIdentity", vouch.Issuer, audience);

        // What AWS requires for such tokens, RGW 16.2 does not know: it refuses the trust policy itself.
        var naming = await Assert.ThrowsAsync<InvalidOperationException>(() => world.Rgw.CreateRoleAsync("VouchWithSourceIdentity", vouch.Issuer, audience,
            actions: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"]));
        var token = await carol.RunAsync("credential", "token");
        // AWS would refuse this (AccessDenied: the trust policy lacks sts:SetSourceIdentity); RGW ignores the claim.
        var admitted = await VouchAsync(carol, "credential", "aws", "--role", without);

        Assert.Contains("when calling the CreateRole operation", naming.Message, StringComparison.Ordinal);
        Assert.True(token.ExitCode == 0, token.StandardError);
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token.StandardOutput.Trim());
        Assert.Equal("carol@example.com", jwt.GetPayloadValue<string>("https://aws.amazon.com/source_identity"));
        Assert.True(admitted.ExitCode == 0, admitted.StandardError);
        Assert.Contains("\"AccessKeyId\"", admitted.StandardOutput, StringComparison.Ordinal);
    }

    public static TheoryData<string> Forgeries() => new(JwtForgeries.Names);

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Rgw_refuses_a_forged_token_and_fetches_no_key_location_it_names(string forgery)
    {
        await using var attacker = new AttackerKeyServer();
        var token = await world.Alice.RunAsync("credential", "token");
        Assert.True(token.ExitCode == 0, token.StandardError);
        using var http = new HttpClient();
        var jwks = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(world.Vouch.Issuer + "/.well-known/jwks.json")).RootElement;
        var forged = JwtForgeries.Forge(forgery, token.StandardOutput.Trim(), jwks, attacker, "mallory@example.com");

        // The control: the same call with the real token gets credentials, so a refusal below is the forgery's.
        var (realStatus, realBody) = await world.AssumeRoleAsync(token.StandardOutput.Trim(), world.AudienceRole);
        var (status, body) = await world.AssumeRoleAsync(forged, world.AudienceRole);

        Assert.True(realStatus == System.Net.HttpStatusCode.OK && realBody.Contains("<AccessKeyId>", StringComparison.Ordinal), $"RGW refused the real token: {(int)realStatus}");
        Assert.True(status != System.Net.HttpStatusCode.OK && !body.Contains("<AccessKeyId>", StringComparison.Ordinal), $"RGW accepted the forgery {forgery}");
        Assert.Equal(0, attacker.Connections);
    }

    [Fact]
    public async Task A_token_from_an_issuer_rgw_does_not_trust_is_refused()
    {
        // Another Vouch server, never registered with RGW, whose user claims the same email.
        await using var rogue = await VouchWorld.StartAsync();
        using var mallory = new CliSandbox();
        await rogue.EnrollAndLoginAsync(mallory, "alice@example.com");

        var result = await VouchAsync(mallory, "credential", "aws", "--role", world.AudienceRole);

        Assert.Equal(6, result.ExitCode);
        Assert.Empty(result.StandardOutput);
    }
}

/// <summary>Test classes that share one <see cref="RgwWorld"/> (Ceph takes a while to start) for the run.</summary>
[CollectionDefinition(Name)]
public sealed class RgwTests : ICollectionFixture<RgwWorld>
{
    public const string Name = "rgw";
}

/// <summary>One Ceph RGW, one Vouch server registered with it, three roles and two logged-in users, shared by the tests.</summary>
public sealed class RgwWorld : IAsyncLifetime
{
    public CliSandbox Alice { get; } = new();
    public CliSandbox Bob { get; } = new();
    public CephRgw Rgw { get; private set; } = null!;
    public VouchWorld Vouch { get; private set; } = null!;
    public string AudienceRole { get; private set; } = null!;
    public string AliceRole { get; private set; } = null!;
    public string DomainRole { get; private set; } = null!;

    /// <summary>Any user of the audience may assume it; its permission policy allows S3 only to the session tag domain=example.com.</summary>
    public string TaggedRole { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var rgw = CephRgw.StartAsync();
        Vouch = await VouchWorld.StartAsync();
        Rgw = await rgw;
        var issuer = Vouch.Issuer;
        var host = issuer["http://".Length..];
        await Rgw.RegisterIssuerAsync(issuer, audience: host);
        AudienceRole = await Rgw.CreateRoleAsync("VouchAudience", issuer, $"{{\"StringEquals\":{{\"{host}:aud\":\"{host}\"}}}}");
        AliceRole = await Rgw.CreateRoleAsync("VouchAlice", issuer, $"{{\"StringEquals\":{{\"{host}:sub\":\"alice@example.com\"}}}}");
        DomainRole = await Rgw.CreateRoleAsync("VouchExampleCom", issuer, $"{{\"StringLike\":{{\"{host}:sub\":\"*@example.com\"}}}}");
        TaggedRole = await Rgw.CreateRoleAsync("VouchTaggedExampleCom", issuer, $"{{\"StringEquals\":{{\"{host}:aud\":\"{host}\"}}}}",
            permissions: "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::*\"]," +
                         "\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/domain\":\"example.com\"}}}]}");
        await Vouch.EnrollAndLoginAsync(Alice, "alice@example.com");
        await Vouch.EnrollAndLoginAsync(Bob, "bob@other.org");
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        Bob.Dispose();
        if (Vouch is not null) await Vouch.DisposeAsync();
        if (Rgw is not null) await Rgw.DisposeAsync();
    }

    /// <summary>
    /// Calls RGW's <c>AssumeRoleWithWebIdentity</c> for <paramref name="role"/> with <paramref name="token"/> as it is
    /// (an unsigned STS request, as AWS takes it); the status and body say whether credentials came back.
    /// </summary>
    public async Task<(System.Net.HttpStatusCode Status, string Body)> AssumeRoleAsync(string token, string role)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity", ["Version"] = "2011-06-15", ["RoleArn"] = role,
            ["RoleSessionName"] = "forgery-test", ["WebIdentityToken"] = token, ["DurationSeconds"] = "900",
        });
        using var response = await http.PostAsync(Rgw.Endpoint + "/", form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Runs vouch for <paramref name="user"/> with RGW as its STS.</summary>
    public Task<ProcessResult> VouchAsync(CliSandbox user, params string[] arguments)
    {
        var environment = user.Environment();
        environment["AWS_ENDPOINT_URL_STS"] = Rgw.Endpoint;
        environment["AWS_CONFIG_FILE"] = "/dev/null";
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        return ProcessRunner.RunAsync(CliSandbox.Binary, arguments, environment, user.Home, TimeSpan.FromSeconds(90), standardInput: "");
    }
}
