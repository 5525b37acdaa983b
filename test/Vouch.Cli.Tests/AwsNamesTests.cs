using Vouch.Cli;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests;

public sealed class AwsNamesTests
{
    [Theory]
    [InlineData("arn:aws:iam::123456789012:role/VouchDeveloper")]
    [InlineData("arn:aws:iam::123456789012:role/team/platform/Deployer")]
    [InlineData("arn:aws-us-gov:iam::123456789012:role/Gov")]
    [InlineData("arn:aws:iam:::role/VouchDeveloper")]
    public void Role_arns_of_every_partition_and_rgw_are_accepted(string arn) => Assert.True(RoleArn.IsValid(arn));

    [Theory]
    [InlineData("arn:aws:iam::123456789012:user/alice")]
    [InlineData("arn:aws:iam::12345:role/Short")]
    [InlineData("arn:aws:sts::123456789012:assumed-role/X/y")]
    [InlineData("VouchDeveloper")]
    [InlineData("arn:aws:iam::123456789012:role/")]
    [InlineData("arn:aws:iam::123456789012:role/bad name")]
    [InlineData("arn:aws:iam::123456789012:role/X\n")]
    [InlineData("arn:aws:iam::123456789012:role/X\nregion = evil")]
    [InlineData("arn:aws:iam::123456789012:role/Développeur")]
    [InlineData("arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/X")]
    public void Anything_else_is_not_a_role_arn(string arn) => Assert.False(RoleArn.IsValid(arn));

    [Theory]
    [InlineData("eu-west-1")]
    [InlineData("us-gov-west-1")]
    [InlineData("ap-southeast-2")]
    public void Region_names_are_accepted(string region) => Assert.True(AwsRegion.IsValid(region));

    [Theory]
    [InlineData("eu-west")]
    [InlineData("EU-WEST-1")]
    [InlineData("moon-1")]
    [InlineData("eu-west-1\n")]
    [InlineData("eu-west-١")]
    public void Malformed_regions_are_refused(string region) => Assert.False(AwsRegion.IsValid(region));

    [Theory]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("o'brien@example.com", "o-brien@example.com")]
    [InlineData("a@b.c", "a@b.c")]
    public void The_role_session_name_is_the_email_in_aws_characters(string email, string expected) =>
        Assert.Equal(expected, RoleSessionName.For(email));

    [Fact]
    public void A_long_email_is_clipped_to_64_characters()
    {
        var name = RoleSessionName.For(new string('a', 70) + "@example.com");

        Assert.Equal(64, name.Length);
    }

    [Fact]
    public void The_sts_endpoint_comes_from_the_service_variable_before_the_general_one()
    {
        var environment = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "https://general:1", ["AWS_ENDPOINT_URL_STS"] = "https://sts:2/", ["AWS_REGION"] = "eu-west-1" };

        var target = StsTarget.Resolve(null, k => environment.GetValueOrDefault(k));

        Assert.Equal(new StsTarget("eu-west-1", "https://sts:2"), target);
        Assert.Equal(new StsTarget("us-east-1", null), StsTarget.Resolve(null, _ => null));
        Assert.Equal("ap-south-1", StsTarget.Resolve("ap-south-1", k => environment.GetValueOrDefault(k)).Region);
    }

    [Fact]
    public void A_malformed_endpoint_is_a_configuration_error()
    {
        var error = Assert.Throws<CliException>(() => StsTarget.Resolve(null, k => k == "AWS_ENDPOINT_URL" ? "not a url" : null));

        Assert.Equal(ExitCodes.BadConfiguration, error.ExitCode);
    }

    [Theory]
    [InlineData("http://sts.invalid")]
    [InlineData("http://sts.us-east-1.amazonaws.com")]
    [InlineData("http://10.0.0.1:5000")]
    [InlineData("http://localhost.attacker.example")]
    [InlineData("http://127.0.0.1.nip.io:5000")]
    [InlineData("http://[2001:db8::1]:5000")]
    public void A_plain_http_endpoint_off_loopback_is_refused_by_its_name_alone(string endpoint)
    {
        // sts.invalid cannot resolve: the refusal comes from the URL, before any DNS or connection.
        var error = Assert.Throws<CliException>(() => StsTarget.Resolve("us-east-1", k => k == "AWS_ENDPOINT_URL_STS" ? endpoint : null));

        Assert.Equal(ExitCodes.BadConfiguration, error.ExitCode);
        Assert.Equal(
            $"AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL '{endpoint}' is plain http:// to a host that is not loopback: the Vouch ID token would cross the network " +
            "readable by anyone on the way, so nothing was sent; use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])",
            error.Message);
    }

    [Theory]
    [InlineData("https://sts.example.com")]
    [InlineData("https://10.0.0.1:8443/")]
    [InlineData("http://localhost:5000")]
    [InlineData("http://LOCALHOST:5000")]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://127.42.0.9")]
    [InlineData("http://[::1]:5000")]
    public void An_https_endpoint_or_a_plain_http_one_on_loopback_is_accepted(string endpoint)
    {
        var target = StsTarget.Resolve("us-east-1", k => k == "AWS_ENDPOINT_URL" ? endpoint : null);

        Assert.Equal(endpoint.TrimEnd('/'), target.Endpoint);
    }
}
