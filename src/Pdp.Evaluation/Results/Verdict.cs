namespace Pdp.Evaluation.Results;

/// <summary>The three answers a decision can have. The order is the combining strength: deny beats require-human beats allow.</summary>
public enum Verdict
{
    Allow = 1,
    RequireHuman = 2,
    Deny = 3,
}

public static class VerdictText
{
    public static string ToText(this Verdict verdict) => verdict switch
    {
        Verdict.Allow => "allow",
        Verdict.RequireHuman => "require_human",
        _ => "deny",
    };

    public static bool TryParse(string? text, out Verdict verdict)
    {
        switch (text)
        {
            case "allow":
                verdict = Verdict.Allow;
                return true;
            case "deny":
                verdict = Verdict.Deny;
                return true;
            case "require_human":
                verdict = Verdict.RequireHuman;
                return true;
            default:
                verdict = Verdict.Deny;
                return false;
        }
    }
}
