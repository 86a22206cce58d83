using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Pdp.Reviewers;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>The reviewer tokens' signing keys: a JWKS file re-read when it changes, a JWKS URL fetched, cached and refreshed.</summary>
public sealed class JwksKeysTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.example.test";
    private const string Audience = "pdp";

    private readonly string _first = Directory.CreateTempSubdirectory("pdp-jwks-a-").FullName;
    private readonly string _second = Directory.CreateTempSubdirectory("pdp-jwks-b-").FullName;

    public ValueTask InitializeAsync()
    {
        DevelopmentKeys.Generate(_first);
        DevelopmentKeys.Generate(_second);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_first, recursive: true);
        Directory.Delete(_second, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Validate_JwksFileRotated_NewKeyAcceptedOldRefusedWithoutRestart()
    {
        var jwks = Path.Combine(Path.GetTempPath(), $"pdp-jwks-{Guid.NewGuid():N}.json");
        File.Copy(Path.Combine(_first, DevelopmentKeys.JwksFile), jwks);
        try
        {
            var settings = Settings(jwksPath: jwks);
            using var keys = new JwksKeys(settings);
            var validator = new ReviewerTokenValidator(settings, keys);
            Assert.Equal("rita", (await validator.ValidateAsync(Bearer(_first), Ct).WaitAsync(PdpTestServer.Timeout)).Reviewer);

            File.Copy(Path.Combine(_second, DevelopmentKeys.JwksFile), jwks, overwrite: true);
            File.SetLastWriteTimeUtc(jwks, DateTime.UtcNow.AddSeconds(5));

            Assert.Equal("rita", (await validator.ValidateAsync(Bearer(_second), Ct).WaitAsync(PdpTestServer.Timeout)).Reviewer);
            var old = await Assert.ThrowsAsync<ReviewerTokenException>(() => validator.ValidateAsync(Bearer(_first), Ct).WaitAsync(PdpTestServer.Timeout));
            Assert.Equal(TokenRefusal.UnknownKey, old.Refusal);
        }
        finally
        {
            File.Delete(jwks);
        }
    }

    [Fact]
    public async Task Validate_JwksUrl_FetchedOnceCachedThenRefreshedWhenStale()
    {
        var served = File.ReadAllText(Path.Combine(_first, DevelopmentKeys.JwksFile));
        var fetches = 0;
        var port = PdpTestServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var idp = builder.Build();
        idp.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref fetches);
            return Results.Text(Volatile.Read(ref served), "application/json");
        });
        await idp.StartAsync(Ct).WaitAsync(PdpTestServer.Timeout);
        var time = new SteppedTime(DateTimeOffset.UtcNow);
        var settings = Settings(jwksUrl: new Uri($"http://127.0.0.1:{port}/jwks"));
        using var keys = new JwksKeys(settings, time: time);
        var validator = new ReviewerTokenValidator(settings, keys);

        await validator.ValidateAsync(Bearer(_first), Ct).WaitAsync(PdpTestServer.Timeout);
        await validator.ValidateAsync(Bearer(_first), Ct).WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(1, fetches);

        // The provider rotates: a token of the new key is refused until the cache may refresh, then accepted.
        Volatile.Write(ref served, File.ReadAllText(Path.Combine(_second, DevelopmentKeys.JwksFile)));
        var early = await Assert.ThrowsAsync<ReviewerTokenException>(() => validator.ValidateAsync(Bearer(_second), Ct).WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(TokenRefusal.UnknownKey, early.Refusal);
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("rita", (await validator.ValidateAsync(Bearer(_second), Ct).WaitAsync(PdpTestServer.Timeout)).Reviewer);
        Assert.Equal(2, fetches);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ReviewerTokenSettings Settings(string jwksPath = "", Uri? jwksUrl = null) =>
        new(Issuer, Audience, jwksPath, jwksUrl, "email", string.Empty, ["ES256"], TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));

    private static string Bearer(string keyDirectory) =>
        "Bearer " + new ReviewerTokens(keyDirectory, Issuer, Audience).Mint("rita", subject: "sub-1");

    private sealed class SteppedTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
