using Vouch.Server.Hosting;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>What <see cref="LogText.Escape"/> makes of values from outside before they are logged.</summary>
public sealed class LogTextTests
{
    [Theory]
    [InlineData("https://vouch.example.com", "https://vouch.example.com")]
    [InlineData("a\r\nFAKE LOG LINE", @"a\r\nFAKE LOG LINE")]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("tab\there\0nul\u007fdel\u0085nel", @"tab\there\x00nul\x7fdel\x85nel")]
    [InlineData("line\u2028paragraph\u2029", @"line\u2028paragraph\u2029")]
    [InlineData("abc\u202edcba", @"abc\u202edcba")]
    [InlineData(@"a\r is not a line break", @"a\\r is not a line break")]
    public void Control_and_invisible_characters_become_escapes_and_a_backslash_doubles(string value, string logged) =>
        Assert.Equal(logged, LogText.Escape(value));

    [Fact]
    public void A_long_value_is_cut_to_the_maximum_length()
    {
        var logged = LogText.Escape(new string('x', 10_000));

        Assert.Equal(new string('x', LogText.MaxLength) + "...", logged);
    }
}
