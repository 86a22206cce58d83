using System.Security.Claims;
using System.Text.Json.Nodes;
using Pdp.Reviewers;
using Pdp.Server.Policies;
using Pdp.Server.Reviewers;

namespace Pdp.Server.Console;

/// <summary>The reviewer a console request's bearer token proved, and the approver groups whose queue they see.</summary>
public sealed record ConsoleReviewer(VerifiedReviewer Verified, IReadOnlyList<string> Groups)
{
    public string Name => Verified.Reviewer;

    /// <summary>
    /// Verifies the request's <c>Authorization: Bearer</c> token (every request: the console keeps no session of its
    /// own, and never trusts a plain user header such as <c>X-Forwarded-User</c>).
    /// </summary>
    /// <exception cref="ReviewerTokenException">No token, or one that proves no reviewer.</exception>
    public static async Task<ConsoleReviewer> SignInAsync(HttpContext context, ReviewerAuthentication authentication, PolicyStore policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(policies);
        var verified = await authentication.VerifyAsync(context.Request.Headers.Authorization.ToString(), cancellationToken).ConfigureAwait(false);
        var reviewer = new ConsoleReviewer(verified, verified.Groups ?? GroupsOf(verified.Reviewer, policies));

        // The anti-forgery token is bound to this identity: a token taken from one reviewer's page is no good in another's.
        context.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, $"{verified.Issuer} {verified.Subject}"), new Claim(ClaimTypes.Name, verified.Reviewer)],
            authenticationType: "Bearer"));
        return reviewer;
    }

    /// <summary>The groups of the policies' <c>data.groups</c> that list the reviewer (used when no groups claim is configured).</summary>
    private static string[] GroupsOf(string reviewer, PolicyStore policies) =>
        policies.Current?.PolicySet.Data["groups"] is JsonObject groups
            ? [.. groups.Where(g => g.Value is JsonArray members && members.Any(m => m is JsonValue v && v.TryGetValue<string>(out var s) && string.Equals(s, reviewer, StringComparison.OrdinalIgnoreCase))).Select(g => g.Key)]
            : [];
}
