namespace Pdp.Policies.Model;

/// <summary>The syntax of action types: dotted lowercase segments such as <c>iam.account.disable</c>.</summary>
public static class ActionType
{
    /// <summary>Longest accepted action type; longer ones are refused at the edge.</summary>
    public const int MaxLength = 128;

    public static bool IsValid(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return false;
        }

        var segmentStart = true;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (segmentStart)
                {
                    return false;
                }

                segmentStart = true;
                continue;
            }

            var ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') || (!segmentStart && c is '_' or '-');
            if (!ok)
            {
                return false;
            }

            segmentStart = false;
        }

        return !segmentStart;
    }
}
