using Microsoft.Extensions.Options;
using Pdp.Review.Rules;
using Pdp.Reviewers;
using Pdp.Server.Configuration;
using Prometheus;

namespace Pdp.Server.Reviewers;

/// <summary>
/// Who recorded a disposition. With <c>Pdp:Review:Oidc</c> configured, the reviewer is the claim of the bearer token
/// the call carries (validated by <see cref="ReviewerTokenValidator"/>): no token or a bad one is UNAUTHENTICATED, a
/// <c>reviewer</c> field naming someone else is PERMISSION_DENIED. Without it, the field is taken as the calling tool
/// sends it (development and trusted tools only), and <c>/metrics</c> says so.
/// </summary>
public sealed class ReviewerAuthentication : IDisposable
{
    private readonly ReviewerTokenValidator? _validator;
    private readonly JwksKeys? _keys;
    private readonly Counter _failures;

    public ReviewerAuthentication(IOptions<PdpOptions> options, Metrics.PdpMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var oidc = options.Value.Review.Oidc;
        var factory = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        var mode = factory.CreateGauge("pdp_reviewer_identity_mode", "How reviewers are identified (value 1): oidc (verified by a token) or unverified (as the calling tool says).", ["mode"]);
        mode.WithLabels(oidc.Enabled ? "oidc" : "unverified").Set(1);
        _failures = factory.CreateCounter("pdp_reviewer_token_failures_total", "Dispositions refused because the reviewer's token did not prove them, by reason.", ["reason"]);
        foreach (var reason in Enum.GetNames<TokenRefusal>())
        {
            _failures.WithLabels(Metrics.PdpMetrics.SnakeCase(reason));
        }

        if (oidc.Enabled)
        {
            Settings = ToSettings(oidc);
            _keys = new JwksKeys(Settings);
            _validator = new ReviewerTokenValidator(Settings, _keys);
        }
    }

    public bool Enabled => _validator is not null;

    /// <summary>The token rules in force; null without OIDC.</summary>
    public ReviewerTokenSettings? Settings { get; }

    /// <summary>The reviewer a disposition is recorded for, and how that was proven (null proof: unverified mode).</summary>
    /// <exception cref="ReviewerTokenException">OIDC is on and the token does not prove a reviewer.</exception>
    /// <exception cref="ReviewRefusedException">The <c>reviewer</c> field names someone other than the token.</exception>
    public async Task<(string Reviewer, ReviewerProof? Proof)> ResolveAsync(string claimed, string? authorization, CancellationToken cancellationToken)
    {
        if (_validator is null)
        {
            return (claimed, null);
        }

        var verified = await VerifyAsync(authorization, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(claimed) && !string.Equals(claimed, verified.Reviewer, StringComparison.OrdinalIgnoreCase))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.ReviewerMismatch, "reviewer: differs from the reviewer the bearer token proves; a disposition is recorded only for the verified reviewer");
        }

        return (verified.Reviewer, new ReviewerProof(verified.Issuer, verified.Subject, verified.Groups));
    }

    /// <summary>The reviewer the token proves (counted by reason when it proves nothing).</summary>
    public async Task<VerifiedReviewer> VerifyAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (_validator is null)
        {
            throw new InvalidOperationException("Pdp:Review:Oidc is not configured");
        }

        try
        {
            return await _validator.ValidateAsync(authorization, cancellationToken).ConfigureAwait(false);
        }
        catch (ReviewerTokenException e)
        {
            _failures.WithLabels(Metrics.PdpMetrics.SnakeCase(e.Refusal.ToString())).Inc();
            throw;
        }
    }

    public void Dispose() => _keys?.Dispose();

    private static ReviewerTokenSettings ToSettings(OidcOptions oidc) => new(
        oidc.Issuer,
        oidc.Audience,
        oidc.JwksPath.Length > 0 ? Path.GetFullPath(oidc.JwksPath) : string.Empty,
        oidc.JwksUrl.Length > 0 ? new Uri(oidc.JwksUrl) : null,
        oidc.ReviewerClaim,
        oidc.GroupsClaim,
        oidc.Algorithms.Count > 0 ? [.. oidc.Algorithms] : ["RS256", "ES256"],
        TimeSpan.FromSeconds(oidc.ClockSkewSeconds),
        TimeSpan.FromSeconds(oidc.JwksRefreshSeconds));
}
