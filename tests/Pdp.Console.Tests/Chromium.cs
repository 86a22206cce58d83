using Microsoft.Playwright;
using Pdp.TestSupport;

[assembly: AssemblyFixture(typeof(Pdp.Console.Tests.Chromium))]

namespace Pdp.Console.Tests;

/// <summary>
/// One headless Debian chromium for the whole run (<see cref="HeadlessChromium"/>), with the console's browser contexts.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private HeadlessChromium? _chromium;

    public IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("chromium did not start");

    /// <summary>Where the run's screenshots go: the test output directory.</summary>
    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        _chromium = await HeadlessChromium.LaunchAsync();
    }

    /// <summary>A browser context signed in as <paramref name="token"/>'s reviewer the way a proxy would: the header on every request.</summary>
    public async Task<IBrowserContext> ContextAsync(string baseUrl, string? token)
    {
        var options = new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1200, Height = 900 } };
        if (token is not null)
        {
            options.ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" };
        }

        var context = await Browser.NewContextAsync(options).WaitAsync(ConsoleServer.Timeout);
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(15_000);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
    }
}
