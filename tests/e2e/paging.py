"""Reading a paged reply (/aide) as a member does."""

from __future__ import annotations

from bot.sandbox.driver import Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import User


async def every_page(sb: Sandbox, user: User, reply: Reply) -> list[str]:
    """The text of each page, turned with ▶ until the button is disabled."""
    assert reply.message is not None
    pages = [reply.message.text]
    while not reply.message.button("▶").get("disabled"):
        await sb.driver.click(user, reply.message, "▶")
        pages.append(reply.message.text)
    return pages
