using Pdp.Reviewers;

namespace Pdp.TestSupport;

/// <summary>
/// A development signing key (made in <see cref="Directory"/> if missing) and the reviewer tokens it signs, with the
/// settings that make a server trust exactly that key: what every test of verified reviewers shares.
/// </summary>
public sealed class ReviewerTokens
{
    public ReviewerTokens(string directory, string issuer, string audience)
    {
        Directory = directory;
        Issuer = issuer;
        Audience = audience;
        if (!File.Exists(JwksPath))
        {
            DevelopmentKeys.Generate(directory);
        }
    }

    public string Directory { get; }

    public string Issuer { get; }

    public string Audience { get; }

    public string JwksPath => Path.Combine(Directory, DevelopmentKeys.JwksFile);

    public string PrivateKeyPath => Path.Combine(Directory, DevelopmentKeys.PrivateKeyFile);

    /// <summary>The <c>Pdp:Review:Oidc</c> settings of a server that trusts this key (reviewer claim <c>email</c>).</summary>
    public IEnumerable<KeyValuePair<string, string?>> ServerSettings() =>
    [
        new("Pdp:Review:Oidc:Issuer", Issuer),
        new("Pdp:Review:Oidc:Audience", Audience),
        new("Pdp:Review:Oidc:JwksPath", JwksPath),
    ];

    /// <summary>A token naming <paramref name="reviewer"/> in <c>email</c>, valid for an hour from <paramref name="notBefore"/> (now).</summary>
    public string Mint(string reviewer, DateTimeOffset? notBefore = null, string? subject = null, string? issuer = null, string? audience = null, string? keyPath = null, IReadOnlyList<string>? groups = null, string groupsClaim = "") =>
        DevelopmentKeys.Mint(keyPath ?? PrivateKeyPath, issuer ?? Issuer, audience ?? Audience, subject ?? "sub-" + reviewer, "email", reviewer, groups ?? [], groupsClaim, TimeSpan.FromHours(1), notBefore ?? DateTimeOffset.UtcNow);
}
