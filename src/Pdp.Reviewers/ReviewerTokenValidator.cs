using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Pdp.Reviewers;

/// <summary>
/// Turns <c>Authorization: Bearer &lt;token&gt;</c> into the reviewer it proves, with Microsoft.IdentityModel's
/// <see cref="JsonWebTokenHandler"/>: signature by a key of the JWKS with an allowed asymmetric algorithm, issuer,
/// audience, expiry and not-before within the configured skew, and the reviewer claim present. Anything else is a
/// <see cref="ReviewerTokenException"/> naming why, never the token.
/// </summary>
public sealed class ReviewerTokenValidator(ReviewerTokenSettings settings, JwksKeys keys)
{
    private const int MaxTokenLength = 16 * 1024;
    private readonly JsonWebTokenHandler _handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };

    public ReviewerTokenSettings Settings => settings;

    /// <exception cref="ReviewerTokenException">No token, or one that does not prove a reviewer.</exception>
    public async Task<VerifiedReviewer> ValidateAsync(string? authorization, CancellationToken cancellationToken)
    {
        var token = BearerToken(authorization);
        string? kid;
        try
        {
            kid = _handler.ReadJsonWebToken(token).Kid;
        }
        catch (ArgumentException)
        {
            throw new ReviewerTokenException(TokenRefusal.Malformed, "authorization: the bearer token is not a JWT");
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = await keys.GetAsync(kid, cancellationToken).ConfigureAwait(false),
            ValidAlgorithms = settings.Algorithms,
            ClockSkew = settings.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            // Tokens name their key; trying every key for a token without one would hide a misconfigured issuer.
            TryAllIssuerSigningKeys = string.IsNullOrEmpty(kid),
        };
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            throw Refused(result.Exception);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>(settings.ReviewerClaim, out var reviewer) || string.IsNullOrWhiteSpace(reviewer))
        {
            throw new ReviewerTokenException(TokenRefusal.NoReviewerClaim, $"authorization: the token has no '{settings.ReviewerClaim}' claim naming the reviewer");
        }

        return new VerifiedReviewer(reviewer, jwt.Issuer, jwt.Subject ?? string.Empty, settings.GroupsClaim.Length == 0 ? null : Groups(jwt));
    }

    private string[] Groups(JsonWebToken jwt)
    {
        if (jwt.TryGetPayloadValue<string[]>(settings.GroupsClaim, out var many) && many is not null)
        {
            return many;
        }

        return jwt.TryGetPayloadValue<string>(settings.GroupsClaim, out var one) && !string.IsNullOrEmpty(one) ? [one] : [];
    }

    private static string BearerToken(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            throw new ReviewerTokenException(TokenRefusal.Missing, "authorization: a bearer token naming the reviewer is required (Pdp:Review:Oidc is configured)");
        }

        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || authorization.Length > MaxTokenLength + Scheme.Length)
        {
            throw new ReviewerTokenException(TokenRefusal.Malformed, "authorization: expected 'Bearer <token>'");
        }

        return authorization[Scheme.Length..].Trim();
    }

    private static ReviewerTokenException Refused(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => new(TokenRefusal.Expired, "authorization: the token has expired"),
        SecurityTokenNotYetValidException => new(TokenRefusal.NotYetValid, "authorization: the token is not valid yet"),
        SecurityTokenInvalidIssuerException => new(TokenRefusal.WrongIssuer, "authorization: the token's issuer is not the configured one"),
        SecurityTokenInvalidAudienceException => new(TokenRefusal.WrongAudience, "authorization: the token is not for this audience"),
        SecurityTokenSignatureKeyNotFoundException => new(TokenRefusal.UnknownKey, "authorization: the token is signed by a key not in the JWKS"),
        SecurityTokenInvalidAlgorithmException => new(TokenRefusal.Algorithm, "authorization: the token's signature algorithm is not allowed"),
        SecurityTokenInvalidSignatureException => new(TokenRefusal.BadSignature, "authorization: the token's signature does not verify"),
        SecurityTokenMalformedException or JsonException => new(TokenRefusal.Malformed, "authorization: the bearer token is not a well-formed JWT"),
        _ => new(TokenRefusal.Invalid, "authorization: the token is not valid"),
    };
}
