"""`python -m bot sandbox`: the emulator with the demo server and a console to act as its members.

Type a slash command as on Discord (`/aide`, `/projet chercher etape:Émergence`), or a console command
starting with `:` (`:aide` lists them). Answers are rendered as text; nothing typed stops the console.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.config import Settings
from bot.dates import format_when
from bot.sandbox.driver import DriverError, Message, Reply
from bot.sandbox.filling import form_values, menu_values, upload
from bot.sandbox.guide import GREETING, HELP, play_tour
from bot.sandbox.harness import Sandbox, furnish, sandbox
from bot.sandbox.listing import (
    Attachments,
    arrivals,
    can_see,
    channel_named,
    member_named,
    place,
    readable,
    role_named,
    visible_messages,
)
from bot.sandbox.render import button_name, render_choices, render_modal
from bot.sandbox.schema import (
    ATTACHMENT,
    CHANNEL,
    ROLE,
    USER,
    Located,
    command_lines,
    commands_for,
    locate,
    option_lines,
    option_value,
    options_of,
    require_leaf,
    split_options,
)
from bot.sandbox.state import GUILD_TEXT, THREAD_TYPES, Channel
from bot.sandbox.terminal import DATABASE, ctrl_c_explained, line_editing, read_line, session_folder
from bot.sandbox.timeshift import MovableClock, ShiftedClock, parse_duration, through_due_moments
from bot.sandbox.typed import ConsoleError, Named, matches, one, one_line, split_words

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
RECENT = 10  # messages listed by :messages and :mp
MAX_ROUNDS = 100  # scheduler passes after one action: a guard, each pass settles what is due
QUIT = {"quitter", "q", "exit", "quit"}

Action = Callable[[str], Awaitable[None]]


class Console:
    def __init__(self, box: Sandbox, clock: MovableClock, files: Path, write: Callable[[str], None] = print) -> None:
        self.box, self.driver, self.emulator, self.demo = box, box.driver, box.emulator, box.demo
        self.clock = clock
        self.files = Attachments(files)
        self.write = write
        self.user = self.demo.user("alex")
        self.channel = self.demo.channel("general")
        self.chosen_locale: str | None = None
        self.last: Reply | None = None
        self.listed: list[Message] = []
        self.actions: dict[str, Action] = {
            "aide": self._help,
            "commandes": self._commands,
            "options": self._options,
            "auto": self._autocomplete,
            "formulaire": self._form,
            "messages": self._messages,
            "mp": self._dms,
            "clic": self._click,
            "choix": self._choose,
            "choisir": self._choose,
            "membre": self._member,
            "salon": self._set_channel,
            "langue": self._language,
            "avancer": self._advance,
            "heure": self._time,
            "tour": self._tour,
        }

    @property
    def locale(self) -> str:
        return self.chosen_locale or self.user.locale

    @property
    def prompt(self) -> str:
        return f"{self.user.username}@#{self.channel.name}> "

    async def handle(self, line: str) -> bool:
        """Run one line; False when the member asked to quit. Whatever goes wrong is said in one line."""
        line = line.strip()
        try:
            if line.startswith("/"):
                await self._slash(line[1:])
            elif line.startswith(":"):
                name, _, rest = line[1:].partition(" ")
                if name.casefold() in QUIT:
                    return False
                action = self.actions.get(name.casefold())
                if action is None:
                    raise ConsoleError(f"« :{name} » n'est pas une commande de la console ; :aide les liste")
                await action(rest.strip())
            elif line:
                self.write("Tapez une commande qui commence par / (par exemple /aide), ou :aide.")
        except DriverError as exc:
            self.write(f"⚠ Discord refuserait : {one_line(exc)}")
        except ConsoleError as exc:
            self.write(f"⚠ {one_line(exc)}")
        except Exception as exc:  # the console outlives anything the bot or the emulator does
            log.debug("échec de « %s »", line, exc_info=True)
            self.write(f"⚠ Erreur inattendue ({type(exc).__name__}) : {one_line(exc)}")
        return True

    # ----------------------------------------------------------------- slash commands

    async def _slash(self, typed: str) -> None:
        words = split_words(typed)
        asking = words[-1:] == ["?"]
        located = locate(commands_for(self.emulator, self.channel), words[:-1] if asking else words, self.locale)
        if asking:
            self.write("\n".join(option_lines(located, self.locale)))
            return
        require_leaf(located, self.locale)
        given = split_options(located, self.locale)
        mark = self.emulator.snowflakes.next()
        reply = await self.driver.slash(
            self.user,
            " ".join(located.path),
            channel=self.channel,
            locale=self.chosen_locale,
            **self._values(located, given),
        )
        await self._answered(reply, mark)

    def _values(self, located: Located, given: dict[str, str]) -> dict[str, Any]:
        specs = {spec["name"]: spec for spec in options_of(located.entry)}
        return {name: option_value(specs[name], typed, self.locale, self._resolve) for name, typed in given.items()}

    def _resolve(self, kind: int, typed: str) -> Any:
        if kind == USER:
            return member_named(self.demo.guild, typed)
        if kind == CHANNEL:
            return self._channel_named(typed)
        if kind == ROLE:
            return role_named(self.demo.guild, typed)
        if kind == ATTACHMENT:
            return upload(typed)
        return typed

    def _channel_named(self, typed: str) -> Channel:
        return channel_named(self.emulator, self.demo.guild, self.user, typed)

    async def _autocomplete(self, rest: str) -> None:
        located = locate(commands_for(self.emulator, self.channel), split_words(rest.lstrip("/")), self.locale)
        require_leaf(located, self.locale)
        if located.rest and ":" not in located.rest[0]:  # `:auto /projet chercher departement puy`
            located.rest = [f"{located.rest[0]}:{' '.join(located.rest[1:])}"]
        given = split_options(located, self.locale)
        if not given:
            raise ConsoleError("quelle option ? Par exemple :auto /projet chercher departement:puy")
        focused = list(given)[-1]
        typed = given.pop(focused)
        choices = await self.driver.autocomplete(
            self.user,
            " ".join(located.path),
            focused,
            typed,
            channel=self.channel,
            locale=self.chosen_locale,
            **self._values(located, given),
        )
        self.write(render_choices(choices))

    # ----------------------------------------------------------------- what Discord lists

    async def _help(self, rest: str) -> None:
        members = ", ".join(self.demo.users)
        channels = ", ".join(f"#{channel.name}" for channel in self.demo.channels.values())
        self.write(HELP.format(members=members, channels=channels, files=self.files.folder))

    async def _commands(self, rest: str) -> None:
        registry = commands_for(self.emulator, self.channel)
        guild = self.emulator.guild_of(self.channel)
        hidden = {n for n, c in registry.items() if self.driver.hidden(c, self.user, guild, self.channel)}
        shown = {name: command for name, command in registry.items() if name not in hidden}
        lines = command_lines(shown, self.locale)
        if hidden:
            lines.append(f"(masquées pour {self.user.username} : {', '.join('/' + n for n in sorted(hidden))})")
        self.write("\n".join(lines))

    async def _options(self, rest: str) -> None:
        words = split_words(rest.lstrip("/"))
        located = locate(commands_for(self.emulator, self.channel), words, self.locale)
        self.write("\n".join(option_lines(located, self.locale)))

    # ----------------------------------------------------------------- messages, clicks, menus, forms

    async def _messages(self, rest: str) -> None:
        if not rest:
            raise ConsoleError("quel salon ? Par exemple :messages #annonces")
        channel = self._channel_named(rest)
        self._list(visible_messages(self.emulator, self.user, channel), f"#{channel.name}")

    async def _dms(self, rest: str) -> None:
        self._list([Message(self.emulator, m) for m in self.emulator.dms_to(self.user)], "ses messages privés")

    def _list(self, messages: list[Message], where: str) -> None:
        if not messages:
            self.write(f"Rien à montrer dans {where}.")
            return
        self.write(self._numbered(messages[-RECENT:]))

    def _numbered(self, messages: list[Message], arrived_at: dict[int, datetime] | None = None) -> str:
        """Messages numbered for :clic N and :choix N, each under where it is (and when it arrived)."""
        self.listed = messages
        lines = []
        for number, message in enumerate(messages, start=1):
            when = (arrived_at or {}).get(message.id)
            at = f" — {format_when(when, PARIS)}" if when else ""
            lines.append(f"[{number}] {place(self.emulator.channels[message.channel_id])}{at}\n{self._text(message)}")
        return "\n".join(lines)

    def _text(self, message: Message) -> str:
        lines = [readable(message.text, self.emulator, self.clock()), *self.files.keep(self.emulator, message)]
        return "\n".join(lines)

    def _targets(self, rest: str) -> tuple[list[Message], str]:
        """`N what` → message N of the last list; `what` alone → the last answer's messages, newest first,
        then the last list's."""
        number, _, what = rest.partition(" ")
        if number.isdigit() and what.strip():
            if not 1 <= int(number) <= len(self.listed):
                raise ConsoleError(f"pas de message n° {number} dans la dernière liste (:messages #salon, :mp)")
            return [self.listed[int(number) - 1]], " ".join(split_words(what))
        answered = self.last.messages if self.last else []
        return [*reversed(answered), *reversed(self.listed)], " ".join(split_words(rest))

    async def _click(self, rest: str) -> None:
        candidates, label = self._targets(rest)
        if not label:
            raise ConsoleError("quel bouton ? Par exemple :clic S'inscrire ou :clic 2 Publier")
        for message in candidates:
            named = [Named(b, f"[{button_name(b)}]", [button_name(b), b.get("label") or "", b.get("custom_id") or ""])
                     for b in message.buttons]  # fmt: skip
            if matches(label, named):
                button = one(label, named, "boutons")
                mark = self.emulator.snowflakes.next()
                pressed = button.get("custom_id") or button_name(button)  # a link button has no id: refused
                reply = await self.driver.click(self.user, message, pressed, locale=self.chosen_locale)
                await self._answered(reply, mark)
                return
        with_buttons = next((m for m in candidates if m.buttons), None)
        shown = " ".join(f"[{button_name(b)}]" for b in with_buttons.buttons) if with_buttons else ""
        raise ConsoleError(f"pas de bouton « {label} » ici" + (f" ; boutons : {shown}" if shown else ""))

    async def _choose(self, rest: str) -> None:
        candidates, wanted = self._targets(rest)
        if not wanted:
            raise ConsoleError("quel choix ? Par exemple :choix Familles ou :choix 2 Foyer 1")
        menus = [(m, c) for m in candidates for c in m.components if c.get("type") == 3]
        if not menus:
            raise ConsoleError("aucun menu dans la dernière réponse ni dans la dernière liste")
        refusal: ConsoleError | None = None
        for message, menu in menus:
            try:
                values = menu_values(menu, wanted, str(menu.get("placeholder") or "menu"))
            except ConsoleError as exc:
                refusal = refusal or exc
                continue
            mark = self.emulator.snowflakes.next()
            reply = await self.driver.choose(
                self.user, message, values, select=menu["custom_id"], locale=self.chosen_locale
            )
            await self._answered(reply, mark)
            return
        assert refusal is not None
        raise refusal

    async def _form(self, rest: str) -> None:
        if self.last is None or self.last.modal is None:
            raise ConsoleError("aucun formulaire ouvert : une commande ou un bouton en ouvre un")
        values = form_values(self.last.modal, rest)
        mark = self.emulator.snowflakes.next()
        await self._answered(await self.driver.submit(self.user, self.last, values, locale=self.chosen_locale), mark)

    # ----------------------------------------------------------------- who, where, when

    async def _member(self, rest: str) -> None:
        self.user = member_named(self.demo.guild, rest)
        self.last, self.listed = None, []
        if not can_see(self.emulator, self.user, self.channel):
            self.channel = self.demo.channel("general")
        self.write(f"Vous êtes {self.user.global_name or self.user.username} (Discord en {self.locale}).")

    async def _set_channel(self, rest: str) -> None:
        channel = self._channel_named(rest)
        if channel.type not in (GUILD_TEXT, *THREAD_TYPES):
            raise ConsoleError(f"#{channel.name} n'est pas un salon où taper des commandes")
        self.channel = channel
        self.write(f"Les commandes se tapent maintenant dans #{channel.name}.")

    async def _language(self, rest: str) -> None:
        if rest:
            try:
                self.chosen_locale = discord.Locale(rest).value
            except ValueError:
                raise ConsoleError(f"« {rest} » n'est pas une langue de Discord (par exemple fr ou en-US)") from None
        else:
            self.chosen_locale = None
        self.write(f"Discord en {self.locale} pour {self.user.username}.")

    async def _advance(self, rest: str) -> None:
        target = self.clock() + parse_duration(rest)
        mark = self.emulator.snowflakes.next()
        arrived_at: dict[int, datetime] = {}  # message id → the sandbox's time when it was sent
        async for _ in through_due_moments(self.clock, self.box.bot.scheduler.sources, target):
            await self._catch_up()
            arrived_at |= {key: self.clock() for key in self.emulator.messages if key > mark and key not in arrived_at}
        self.write(f"Il est maintenant {format_when(self.clock(), PARIS)} (heure de Paris).")
        self._arrivals(mark, set(), None, quiet=False, arrived_at=arrived_at)

    async def _time(self, rest: str) -> None:
        self.write(f"Il est {format_when(self.clock(), PARIS)} (heure de Paris, horloge du bac à sable).")

    async def _tour(self, rest: str) -> None:
        await play_tour(self)

    # ----------------------------------------------------------------- answers and what arrives

    async def _answered(self, reply: Reply, mark: int) -> None:
        self.last = reply
        parts = [self._text(message) for message in reply.messages]
        if reply.modal:
            parts.append(render_modal(reply.modal) + "\n  → :formulaire champ=valeur … pour le remplir et l'envoyer")
        if reply.interaction.choices is not None:
            parts.append(render_choices(reply.choices))
        if reply.late:
            parts.append("(Discord a affiché « L'application ne répond pas » : réponse trop tardive)")
        self.write("\n".join(parts) or "(aucune réponse visible)")
        await self._catch_up()
        self._arrivals(mark, {message.id for message in reply.messages}, reply.interaction.id, quiet=True)

    async def _catch_up(self) -> None:
        """Deliver what is due, as the bot's scheduler would a moment later, and let the bot finish."""
        for _ in range(MAX_ROUNDS):
            if not await self.box.bot.scheduler.run_due():
                break
        await self.driver.settle()

    def _arrivals(
        self,
        mark: int,
        own: set[int],
        interaction_id: int | None,
        *,
        quiet: bool,
        arrived_at: dict[int, datetime] | None = None,
    ) -> None:
        """What the bot posted or sent since `mark`: numbered if this member sees it, counted otherwise."""
        seen, elsewhere = arrivals(self.emulator, self.user, mark, own, interaction_id)
        if seen:
            self.write("— arrivé depuis :\n" + self._numbered(seen, arrived_at))
        elif not quiet:
            self.write(f"Rien de nouveau pour {self.user.username}.")
        if elsewhere:
            self.write(f"Ailleurs : {elsewhere} (:membre NOM puis :mp ou :messages #salon pour les lire).")


async def run_console(settings: Settings, *, database: str | None = None) -> int:
    clock = ShiftedClock()
    with session_folder() as session, line_editing():
        files = session / "fichiers"
        async with sandbox(Path(database) if database else session / DATABASE, settings=settings, clock=clock) as box:
            await furnish(box)
            console = Console(box, clock, files)
            print(GREETING.format(files=files))
            with ctrl_c_explained():
                while (line := await read_line(console.prompt)) is not None and await console.handle(line):
                    pass
                if line is None:
                    print()  # Ctrl-D leaves the cursor after the prompt
    sys.stdout.flush()
    return 0
