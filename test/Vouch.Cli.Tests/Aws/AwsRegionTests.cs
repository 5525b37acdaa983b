using Vouch.Cli;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>The one place a region is picked: flag, AWS_REGION, AWS_DEFAULT_REGION, the selected profile's region, us-east-1.</summary>
public sealed class AwsRegionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vouch-region-").FullName;
    private readonly Dictionary<string, string> _environment = [];

    public AwsRegionTests()
    {
        _environment["HOME"] = _directory;
        _environment["AWS_CONFIG_FILE"] = ConfigFile;
        File.WriteAllText(ConfigFile, "[default]\nregion = eu-north-1\n\n[profile team]  # the team's\nregion = ap-southeast-2\n\n[profile bare]\noutput = json\n");
    }

    private string ConfigFile => Path.Combine(_directory, "config");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Resolve(string? flag = null) => AwsRegion.Resolve(flag, k => _environment.GetValueOrDefault(k));

    [Fact]
    public void The_flag_comes_first() => Assert.Equal("us-west-2", Resolve("us-west-2"));

    [Fact]
    public void Then_aws_region_then_aws_default_region()
    {
        _environment["AWS_DEFAULT_REGION"] = "eu-west-3";
        Assert.Equal("eu-west-3", Resolve());
        _environment["AWS_REGION"] = "eu-west-2";
        Assert.Equal("eu-west-2", Resolve());
    }

    [Fact]
    public void Then_the_region_of_the_profile_aws_profile_names()
    {
        _environment["AWS_PROFILE"] = "team";
        Assert.Equal("ap-southeast-2", Resolve());
    }

    [Fact]
    public void Without_aws_profile_the_default_profiles_region() => Assert.Equal("eu-north-1", Resolve());

    [Fact]
    public void The_file_is_home_dot_aws_config_without_aws_config_file()
    {
        _environment.Remove("AWS_CONFIG_FILE");
        Directory.CreateDirectory(Path.Combine(_directory, ".aws"));
        File.WriteAllText(Path.Combine(_directory, ".aws", "config"), "[default]\nregion = sa-east-1\n");

        Assert.Equal("sa-east-1", Resolve());
    }

    [Theory]
    [InlineData("bare")]
    [InlineData("nobody")]
    public void A_profile_without_a_region_or_no_profile_at_all_means_us_east_1(string profile)
    {
        _environment["AWS_PROFILE"] = profile;
        Assert.Equal(AwsRegion.Default, Resolve());
    }

    [Fact]
    public void No_file_means_us_east_1()
    {
        _environment["AWS_CONFIG_FILE"] = Path.Combine(_directory, "missing");
        _environment["HOME"] = Path.Combine(_directory, "nobody");
        Assert.Equal(AwsRegion.Default, Resolve());
    }

    [Fact]
    public void A_region_that_is_no_region_names_the_file_and_line()
    {
        File.WriteAllText(ConfigFile, "[default]\nregion = eu-west-1 # Ireland\n");

        var error = Assert.Throws<CliException>(() => Resolve());

        Assert.Equal(ExitCodes.BadConfiguration, error.ExitCode);
        Assert.Equal($"{ConfigFile} line 2: the region 'eu-west-1 # Ireland' of profile 'default' is not an AWS region (like eu-west-1)", error.Message);
    }

    [Fact]
    public void The_file_is_not_read_when_a_variable_names_the_region()
    {
        File.WriteAllText(ConfigFile, "this is no config file\n");
        _environment["AWS_REGION"] = "eu-west-1";

        Assert.Equal("eu-west-1", Resolve());
    }
}
