namespace Pdp.Server.Spiffe;

/// <summary>
/// A SPIFFE ID (<c>spiffe://trust-domain/path</c>) parsed by the rules of the SPIFFE ID specification:
/// lowercase scheme and trust domain of <c>[a-z0-9.-_]</c>, a path of non-empty segments of
/// <c>[A-Za-z0-9.-_]</c> that are neither <c>.</c> nor <c>..</c>, no trailing slash, and no port, user
/// info, query, fragment or percent-encoding; at most 2048 bytes, the trust domain at most 255.
/// </summary>
public sealed record SpiffeId(string TrustDomain, string Path)
{
    public const int MaxLength = 2048;

    /// <summary>RFC 3986's limit for a host, which the SPIFFE ID spec (§2.3) makes the trust domain's.</summary>
    public const int MaxTrustDomainLength = 255;
    private const string Scheme = "spiffe://";

    public override string ToString() => Scheme + TrustDomain + Path;

    public static bool TryParse(string? text, out SpiffeId? id, out string? error)
    {
        id = null;
        error = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            error = "is empty or longer than 2048 bytes";
            return false;
        }

        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = "does not start with spiffe://";
            return false;
        }

        var rest = text[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var trustDomain = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? string.Empty : rest[slash..];
        if (trustDomain.Length > MaxTrustDomainLength)
        {
            error = $"has a trust domain longer than {MaxTrustDomainLength} bytes";
            return false;
        }

        if (trustDomain.Length == 0 || !trustDomain.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
        {
            error = "has a trust domain that is empty or not lowercase letters, digits, '.', '-' or '_'";
            return false;
        }

        if (path.Length > 0)
        {
            foreach (var segment in path[1..].Split('/'))
            {
                if (segment.Length == 0 || segment is "." or ".." || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                {
                    error = "has an empty, relative or ill-formed path segment";
                    return false;
                }
            }
        }

        id = new SpiffeId(trustDomain, path);
        return true;
    }

    /// <summary>
    /// Matches <paramref name="pattern"/>: an exact SPIFFE ID, or one ending in <c>/*</c> that stands for
    /// any ID strictly below that path (<c>spiffe://example.org/reviewers/*</c>).
    /// </summary>
    public bool Matches(string pattern) => Pdp.Review.Rules.RecorderPolicy.Matches(ToString(), pattern);
}
