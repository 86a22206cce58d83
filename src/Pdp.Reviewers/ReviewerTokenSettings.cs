namespace Pdp.Reviewers;

/// <summary>What a reviewer's token must be: issued by <see cref="Issuer"/> for <see cref="Audience"/>, signed by a key of the JWKS.</summary>
/// <param name="JwksPath">A JWKS file, re-read when it changes (exclusive with <paramref name="JwksUrl"/>).</param>
/// <param name="JwksUrl">A JWKS URL, fetched and cached, refreshed every <paramref name="JwksRefresh"/> (and sooner for an unknown key id).</param>
/// <param name="ReviewerClaim">The claim that names the reviewer (default <c>email</c>).</param>
/// <param name="GroupsClaim">The claim listing the reviewer's groups; empty: groups come from the policies' <c>data.groups</c>.</param>
/// <param name="Algorithms">Signature algorithms accepted (asymmetric only: never <c>none</c>, never HMAC).</param>
public sealed record ReviewerTokenSettings(
    string Issuer,
    string Audience,
    string JwksPath,
    Uri? JwksUrl,
    string ReviewerClaim,
    string GroupsClaim,
    IReadOnlyList<string> Algorithms,
    TimeSpan ClockSkew,
    TimeSpan JwksRefresh)
{
    /// <summary>The asymmetric algorithms that may be allowed; anything else (none, HS*) is refused at start.</summary>
    public static readonly IReadOnlySet<string> Allowable = new HashSet<string>(StringComparer.Ordinal) { "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512" };
}

/// <summary>A reviewer as their identity provider vouches for them.</summary>
/// <param name="Groups">The token's groups when a groups claim is configured; null otherwise.</param>
public sealed record VerifiedReviewer(string Reviewer, string Issuer, string Subject, IReadOnlyList<string>? Groups);

/// <summary>Why a token was refused: bounded, so it can label a metric.</summary>
public enum TokenRefusal
{
    Missing,
    Malformed,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    UnknownKey,
    BadSignature,
    Algorithm,
    NoReviewerClaim,
    Invalid,
}

/// <summary>A token that does not prove who the reviewer is. The message never contains the token.</summary>
public sealed class ReviewerTokenException : Exception
{
    public ReviewerTokenException(TokenRefusal refusal, string message)
        : base(message)
    {
        Refusal = refusal;
    }

    public ReviewerTokenException()
        : this(TokenRefusal.Invalid, "the reviewer token is invalid")
    {
    }

    public ReviewerTokenException(string message)
        : this(TokenRefusal.Invalid, message)
    {
    }

    public ReviewerTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
        Refusal = TokenRefusal.Invalid;
    }

    public TokenRefusal Refusal { get; }
}
