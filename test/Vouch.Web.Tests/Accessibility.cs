using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit;

namespace Vouch.Web.Tests;

/// <summary>axe-core (Deque.AxeCore.Playwright) on a page as it stands: no serious or critical violation.</summary>
public static class Accessibility
{
    /// <summary>Fails with each serious or critical violation axe finds (rule, help, where) on <paramref name="page"/>.</summary>
    public static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"axe-core on {page.Url}:\n" + string.Join("\n", serious.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
    }

    /// <summary>Fails when <paramref name="page"/> scrolls sideways at a phone's width (390 CSS pixels).</summary>
    public static async Task AssertFitsAPhoneAsync(IPage page)
    {
        await page.SetViewportSizeAsync(390, 844);
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 390, $"{page.Url} is {scrollWidth} px wide at a 390 px viewport: it scrolls sideways");
    }
}
