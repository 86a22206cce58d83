namespace Pdp.Policies.Model;

/// <summary>
/// An <c>applies_to</c> pattern: an exact action type (<c>iam.role.grant</c>), a family with everything
/// below it (<c>iam.*</c>), or every action (<c>*</c>). Deliberately no mid-string wildcards: a pattern
/// an author can read at a glance is one a reviewer can audit.
/// </summary>
public sealed record ActionPattern
{
    private ActionPattern(string text, ActionPatternKind kind, string stem)
    {
        Text = text;
        Kind = kind;
        Stem = stem;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    public ActionPatternKind Kind { get; }

    /// <summary>The exact type, or for a family the prefix including its trailing dot (<c>iam.</c>).</summary>
    public string Stem { get; }

    public bool Matches(string actionType) => Kind switch
    {
        ActionPatternKind.Any => true,
        ActionPatternKind.Exact => string.Equals(actionType, Stem, StringComparison.Ordinal),
        _ => actionType.StartsWith(Stem, StringComparison.Ordinal),
    };

    /// <summary>Parses a pattern, or returns null with the reason it is not one.</summary>
    public static ActionPattern? TryParse(string text, out string? error)
    {
        error = null;
        if (text == "*")
        {
            return new ActionPattern(text, ActionPatternKind.Any, string.Empty);
        }

        var family = text.EndsWith(".*", StringComparison.Ordinal);
        var body = family ? text[..^2] : text;
        if (!ActionType.IsValid(body))
        {
            error = $"'{text}' is not an action pattern: use an exact type such as 'iam.role.grant', a family such as 'iam.*', or '*'";
            return null;
        }

        return family
            ? new ActionPattern(text, ActionPatternKind.Family, body + ".")
            : new ActionPattern(text, ActionPatternKind.Exact, body);
    }
}

public enum ActionPatternKind
{
    Exact,
    Family,
    Any,
}
