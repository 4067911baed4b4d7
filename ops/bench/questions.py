"""Questions an employee might ask the 18F handbook, used as search benchmark queries."""

from __future__ import annotations

__all__ = ["HANDBOOK_QUESTIONS"]

# Written by hand from the handbook's topics; there is no published QA set for it.
HANDBOOK_QUESTIONS: tuple[str, ...] = (
    "How many weeks of paid parental leave do I get?",
    "How do I request FMLA leave?",
    "Can I get advanced sick leave if I have used all of mine?",
    "How does the voluntary leave transfer program work?",
    "What should I do before going out of office?",
    "Who approves overtime and how is it paid?",
    "How do I book travel in Concur?",
    "How do I get reimbursed for travel expenses?",
    "What do I need to do the first time I travel for work?",
    "How do I get a government travel card?",
    "Can I work while I am traveling?",
    "What happens if I need to change an approved travel authorization?",
    "How do I handle emergency travel after hours?",
    "Does the agency pay for relocation when I move?",
    "How do I request a reasonable accommodation?",
    "What is the password policy for government accounts?",
    "What should I do if I find a security incident?",
    "How do we respond to a publicly disclosed vulnerability?",
    "How does the bug bounty program work?",
    "What is our open source policy?",
    "How long do we have to keep records?",
    "How do I make a purchase request for software?",
    "Which collaboration tools are approved for use?",
    "How should I handle sensitive information such as PII?",
    "How do I sign up for the transit benefit?",
    "What work schedules are available, like compressed or flexible?",
    "How do I verify employment for a mortgage application?",
    "How can I invite a non-government speaker to an event?",
    "How do I get approval to speak at an external conference?",
    "Is there a budget for conferences and training?",
    "What is an individual development plan?",
    "When does the Paperwork Reduction Act apply to user research?",
    "How do term extensions work for TTS employees?",
    "What are the steps when I leave TTS?",
    "How do promotions work?",
    "What hiring authorities does TTS use?",
    "How do I set up a detail to another agency?",
    "What is the code of conduct and how do I report a violation?",
    "How do I give difficult feedback to a colleague?",
    "How do I edit a page of the handbook in GitHub?",
)
