using Pdp.Reviewers;
using Xunit;

namespace Pdp.Cli.Tests;

public sealed class TokenCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pdp-token-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Mint_WithKeygenKey_TokenValidatesAgainstItsJwksOnly()
    {
        Assert.Equal(0, Cli.Run("token", "keygen", _dir).ExitCode);
        var minted = Cli.Run("token", "mint", "--key", Path.Combine(_dir, DevelopmentKeys.PrivateKeyFile), "--issuer", "https://dev.local", "--audience", "pdp", "--reviewer", "rita@example.com", "--group", "iam-approvers");
        Assert.Equal(0, minted.ExitCode);
        var token = minted.Out.Trim();

        var settings = new ReviewerTokenSettings("https://dev.local", "pdp", Path.Combine(_dir, DevelopmentKeys.JwksFile), null, "email", "groups", ["ES256"], TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
        using var keys = new JwksKeys(settings);
        var reviewer = await new ReviewerTokenValidator(settings, keys).ValidateAsync($"Bearer {token}", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("rita@example.com", reviewer.Reviewer);
        Assert.Equal(["iam-approvers"], reviewer.Groups);

        // Another key's JWKS does not accept it: a development key is trusted only where configured.
        var other = Path.Combine(_dir, "other");
        Assert.Equal(0, Cli.Run("token", "keygen", other).ExitCode);
        var elsewhere = settings with { JwksPath = Path.Combine(other, DevelopmentKeys.JwksFile) };
        using var otherKeys = new JwksKeys(elsewhere);
        var refused = await Assert.ThrowsAsync<ReviewerTokenException>(() => new ReviewerTokenValidator(elsewhere, otherKeys).ValidateAsync($"Bearer {token}", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TokenRefusal.UnknownKey, refused.Refusal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100000")]
    public void Mint_LifetimeOutOfRange_UsageError(string minutes)
    {
        Cli.Run("token", "keygen", _dir);

        var result = Cli.Run("token", "mint", "--key", Path.Combine(_dir, DevelopmentKeys.PrivateKeyFile), "--issuer", "i", "--audience", "a", "--reviewer", "r", "--minutes", minutes);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--minutes", result.Error, StringComparison.Ordinal);
    }
}
