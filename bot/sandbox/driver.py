"""Act as a member on the emulated Discord: slash commands, clicks, selects, modals, autocomplete.

Each action sends an interaction through the gateway exactly as Discord would, waits for the
bot's answer and for the work it started to finish, then returns a `Reply` with what the bot
answered (response, follow-ups, modal, choices) and what it posted elsewhere.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.emulator import EPHEMERAL, Emulator, Interaction
from bot.sandbox.render import component_label, modal_field, render_choices, render_message, render_modal
from bot.sandbox.state import GUILD_TEXT, Channel, Guild, Role, User

ANSWER_GUARD_SECONDS = 10.0  # a guard against a bot that never answers, not a wait for time to pass
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
BOT_TASK_PREFIXES = ("CommandTree-invoker", "discord-ui-", "discord.py: on_")
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


class DriverError(AssertionError):
    """What Discord's own client would refuse to send (unknown command, missing option, hidden command)."""


@dataclass(frozen=True)
class Upload:
    """A file given to an attachment option."""

    filename: str
    data: bytes
    content_type: str = "text/csv"


@dataclass
class Attachment:
    filename: str
    data: bytes
    content_type: str


class Message:
    """A live view of a message stored by the emulator (edits show through)."""

    def __init__(self, emulator: Emulator, data: dict[str, Any]) -> None:
        self.emulator = emulator
        self.data = data

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def deleted(self) -> bool:
        return self.id not in self.emulator.messages

    @property
    def components(self) -> list[dict[str, Any]]:
        return [c for row in self.data.get("components") or [] for c in row.get("components") or []]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.components if c.get("type") == 2]

    def button(self, label: str) -> dict[str, Any]:
        """The button whose label, emoji or custom id is `label`."""
        for button in self.buttons:
            if label in (button.get("label"), button.get("custom_id"), component_label(button)) or (
                (button.get("emoji") or {}).get("name") == label
            ):
                return button
        raise DriverError(f"pas de bouton « {label} » dans :\n{self.text}")

    def select(self, name: str | None = None) -> dict[str, Any]:
        for component in self.components:
            if component.get("type") in (3, 5, 6, 7, 8) and name in (
                None,
                component.get("custom_id"),
                component.get("placeholder"),
            ):
                return component
        raise DriverError(f"pas de menu « {name} » dans :\n{self.text}")

    @property
    def attachments(self) -> list[Attachment]:
        found = []
        for attachment in self.data.get("attachments") or []:
            filename, data, content_type = self.emulator.attachments[int(attachment["id"])]
            found.append(Attachment(filename, data, content_type))
        return found

    @property
    def text(self) -> str:
        return render_message(self.data)

    def __repr__(self) -> str:
        return f"<Message {self.id}:\n{self.text}\n>"


@dataclass
class Reply:
    """What the bot did in answer to one interaction."""

    interaction: Interaction
    message: Message | None
    followups: list[Message]
    posted: list[Message] = field(default_factory=list)

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.interaction.modal

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.interaction.choices or [])

    @property
    def deferred(self) -> bool:
        return self.interaction.response_type in (5, 6)

    @property
    def late(self) -> bool:
        """The bot answered after Discord's 3 s deadline: the member saw "the application did not respond"."""
        return self.interaction.late

    @property
    def ephemeral(self) -> bool:
        return self.message is not None and self.message.ephemeral

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def messages(self) -> list[Message]:
        return ([self.message] if self.message else []) + self.followups

    @property
    def text(self) -> str:
        """Everything the member saw, as text: response, follow-ups, modal or choices."""
        parts = [message.text for message in self.messages]
        if self.modal:
            parts.append(render_modal(self.modal))
        if self.interaction.choices is not None:
            parts.append(render_choices(self.choices))
        return "\n".join(parts)


class Driver:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        # The sequence a shard of the bot has read up to, and the last the driver sent each shard.
        self.bot_sequence: Callable[[int], int | None] | None = None
        self._last_sequence: dict[int, int] = {}

    # ----------------------------------------------------------------- actions

    async def slash(
        self,
        user: User,
        command: str,
        /,
        *,
        channel: Channel | None = None,
        locale: str | None = None,
        **options: Any,
    ) -> Reply:
        """`/command sub` with options given by their (French) names."""
        channel = channel or self.default_channel()
        guild = self.emulator.guild_of(channel)
        data = self._command_data(user, guild, channel, command, options)
        return await self._interact(APPLICATION_COMMAND, user, channel, data, locale=locale)

    async def autocomplete(
        self,
        user: User,
        command: str,
        option: str,
        typed: str,
        /,
        *,
        channel: Channel | None = None,
        locale: str | None = None,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """What the bot proposes while the member types `typed` into `option`."""
        channel = channel or self.default_channel()
        guild = self.emulator.guild_of(channel)
        data = self._command_data(user, guild, channel, command, options, focused=(option, typed))
        reply = await self._interact(AUTOCOMPLETE, user, channel, data, locale=locale)
        return reply.choices

    async def click(self, user: User, message: Message, label: str, /, *, locale: str | None = None) -> Reply:
        button = message.button(label)
        if button.get("disabled"):
            raise DriverError(f"le bouton « {label} » est inactif")
        if button.get("style") == 5:
            raise DriverError("un bouton lien ouvre une page, il n'envoie rien au bot")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._component(user, message, data, locale)

    async def choose(
        self,
        user: User,
        message: Message,
        values: list[str],
        /,
        *,
        select: str | None = None,
        locale: str | None = None,
    ) -> Reply:
        component = message.select(select)
        # A value may be named by its option's label, as a member sees it.
        by_label = {option["label"]: option["value"] for option in component.get("options") or []}
        values = [by_label.get(value, value) for value in values]
        allowed = set(by_label.values())
        if component.get("type") == 3 and not set(values) <= allowed:
            raise DriverError(f"valeurs hors du menu : {sorted(set(values) - allowed)}")
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not low <= len(values) <= high:
            raise DriverError(f"le menu attend de {low} à {high} choix")
        data = {"custom_id": component["custom_id"], "component_type": component["type"], "values": values}
        return await self._component(user, message, data, locale)

    async def submit(
        self, user: User, reply: Reply, values: dict[str, str | list[str]], /, *, locale: str | None = None
    ) -> Reply:
        """Fill the modal that `reply` opened and submit it: text inputs take a string, selects a list of
        values, each by custom id or label; what is not given keeps the modal's prefilled value."""
        modal = reply.modal
        if modal is None:
            raise DriverError("cette réponse n'a pas ouvert de formulaire")
        rows = []
        for row in modal.get("components") or []:
            field = modal_field(row)
            if field is None:
                continue  # a text display shows text, it submits nothing
            label, inner = field
            given = values.get(inner["custom_id"], values.get(label))
            if inner.get("type") == 4:
                submitted = self._modal_text(inner, label, given)
            else:
                submitted = self._modal_select(inner, label, given)
            rows.append(
                {"type": 18, "component": submitted}
                if row.get("type") == 18
                else {"type": 1, "components": [submitted]}
            )
        channel = self.emulator.channels[reply.interaction.channel_id]
        data = {"custom_id": modal["custom_id"], "components": rows}
        # A modal opened from a button carries that button's message, which the answer may update.
        origin = reply.interaction.payload.get("message")
        return await self._interact(MODAL_SUBMIT, user, channel, data, locale=locale, message=origin)

    @staticmethod
    def _modal_text(inner: dict[str, Any], label: str, given: str | list[str] | None) -> dict[str, Any]:
        value = given if isinstance(given, str) else str(inner.get("value") or "")
        if inner.get("required", True) and not value:
            raise DriverError(f"le champ « {label} » est obligatoire")
        if not int(inner.get("min_length", 0)) <= len(value) <= int(inner.get("max_length", 4000)):
            raise DriverError(f"le champ « {label} » refuse {len(value)} caractères")
        return {"type": 4, "custom_id": inner["custom_id"], "value": value}

    @staticmethod
    def _modal_select(inner: dict[str, Any], label: str, given: str | list[str] | None) -> dict[str, Any]:
        options = inner.get("options") or []
        chosen = [given] if isinstance(given, str) else given
        if chosen is None:
            chosen = [option["value"] for option in options if option.get("default")]
        unknown = set(chosen) - {option["value"] for option in options}
        if unknown:
            raise DriverError(f"le menu « {label} » n'a pas {sorted(unknown)}")
        low, high = int(inner.get("min_values", 1)), int(inner.get("max_values", 1))
        if (inner.get("required", True) or chosen) and not low <= len(chosen) <= high:
            raise DriverError(f"le menu « {label} » attend de {low} à {high} choix")
        return {"type": inner["type"], "custom_id": inner["custom_id"], "values": chosen}

    async def join(self, guild: Guild, user: User, *, roles: list[Role] | None = None) -> None:
        """A member joins the server: the bot receives GUILD_MEMBER_ADD."""
        member = self.emulator.add_member(guild, user, roles=roles)
        await self.dispatch("GUILD_MEMBER_ADD", member.to_json() | {"guild_id": str(guild.id)})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        shard, self._last_sequence[shard] = await self.emulator.gateway.dispatch(event, data)
        await self.settle()

    # ----------------------------------------------------------------- waiting

    async def settle(self) -> None:
        """Return once the bot has read every event sent and finished the work they started."""
        current = asyncio.current_task()
        for _ in range(10_000):
            read = self.bot_sequence
            if read is not None and any((read(shard) or 0) < sent for shard, sent in self._last_sequence.items()):
                await asyncio.sleep(0.001)
                continue
            pending = [
                task
                for task in asyncio.all_tasks()
                if task is not current and not task.done() and task.get_name().startswith(BOT_TASK_PREFIXES)
            ]
            if not pending:
                return
            await asyncio.wait(pending, timeout=ANSWER_GUARD_SECONDS)
        raise DriverError("le bot ne s'arrête pas de travailler")

    async def until(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, looked at after each request the bot sends: waits for the bot's
        own work (a round of reminders under way) without sleeping for a clock."""
        try:
            async with asyncio.timeout(ANSWER_GUARD_SECONDS):
                while not condition():
                    await self.emulator.next_request()
        except TimeoutError:
            raise DriverError("la condition attendue ne vient pas") from None

    # ----------------------------------------------------------------- plumbing

    def default_channel(self) -> Channel:
        for guild in self.emulator.guilds.values():
            for channel in guild.channels.values():
                if channel.type == GUILD_TEXT:
                    return channel
        raise DriverError("l'émulateur n'a aucun salon textuel")

    async def _component(self, user: User, message: Message, data: dict[str, Any], locale: str | None) -> Reply:
        if message.deleted:
            raise DriverError("ce message n'existe plus")
        channel = self.emulator.channels[message.channel_id]
        return await self._interact(COMPONENT, user, channel, data, locale=locale, message=message.data)

    async def _interact(
        self,
        kind: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        *,
        locale: str | None,
        message: dict[str, Any] | None = None,
    ) -> Reply:
        emulator = self.emulator
        mark = emulator.snowflakes.next()
        payload = self._interaction_payload(kind, user, channel, data, locale or user.locale)
        if message is not None:
            payload["message"] = message
        record = Interaction(
            id=int(payload["id"]),
            token=payload["token"],
            type=kind,
            user_id=user.id,
            guild_id=channel.guild_id,
            channel_id=channel.id,
            locale=payload["locale"],
            created=emulator.clock(),
            payload=payload,
        )
        emulator.interactions[record.token] = record
        shard, self._last_sequence[shard] = await emulator.gateway.dispatch("INTERACTION_CREATE", payload)
        try:
            await asyncio.wait_for(record.answered.wait(), ANSWER_GUARD_SECONDS)
        except TimeoutError:
            raise DriverError(f"le bot n'a pas répondu à l'interaction {data}") from None
        await self.settle()
        response = None
        if record.response_message_id is not None and record.response_message_id in emulator.messages:
            response = Message(emulator, emulator.messages[record.response_message_id])
        elif record.response_type in (6, 7) and message is not None:
            response = Message(emulator, emulator.messages.get(int(message["id"]), message))
        followups = [Message(emulator, emulator.messages[i]) for i in record.followup_ids if i in emulator.messages]
        own = {record.response_message_id, *record.followup_ids}
        posted = [
            Message(emulator, m)
            for key, m in emulator.messages.items()
            if key > mark
            and key not in own
            and int(m["author"]["id"]) == emulator.bot_user.id
            and (m.get("interaction_metadata") or {}).get("id") != str(record.id)
        ]
        return Reply(record, response, followups, posted)

    def _interaction_payload(
        self, kind: int, user: User, channel: Channel, data: dict[str, Any], locale: str
    ) -> dict[str, Any]:
        emulator = self.emulator
        guild = emulator.guild_of(channel)
        payload: dict[str, Any] = {
            "id": str(emulator.snowflakes.next()),
            "application_id": str(emulator.application_id),
            "type": kind,
            "data": data,
            "token": secrets.token_urlsafe(32),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
            "channel": channel.to_json(),
        }
        if guild is not None:
            member = guild.members.get(user.id)
            if member is None:
                raise DriverError(f"{user.username} n'est pas membre de {guild.name}")
            payload.update(
                guild_id=str(guild.id),
                guild_locale=guild.preferred_locale,
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": ["COMMUNITY"]},
                member=member.to_json(permissions=guild.channel_permissions(user.id, channel)),
                app_permissions=str(guild.channel_permissions(emulator.bot_user.id, channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=user.to_json(),
                app_permissions=str((1 << 51) - 1),
                authorizing_integration_owners={"0": str(emulator.application_id)},
                context=1,
            )
        return payload

    def _command_data(
        self,
        user: User,
        guild: Guild | None,
        channel: Channel,
        command: str,
        options: dict[str, Any],
        *,
        focused: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        emulator = self.emulator
        words = command.strip().lstrip("/").split()
        if not words:
            raise DriverError("aucune commande : le nom d'une commande suit le /")
        registry = emulator.guild_commands.get(guild.id, {}) if guild else {}
        schema = registry.get(words[0]) or emulator.global_commands.get(words[0])
        if schema is None:
            raise DriverError(f"commande inconnue de Discord : /{words[0]}")
        self._check_available(schema, user, guild, channel)
        data: dict[str, Any] = {"id": schema["id"], "name": schema["name"], "type": 1}
        if "guild_id" in schema:
            data["guild_id"] = schema["guild_id"]
        container, leaf = data, schema
        for word in words[1:]:
            sub = next((o for o in leaf.get("options") or [] if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                raise DriverError(f"/{command} : « {word} » n'est pas une sous-commande")
            entry: dict[str, Any] = {"name": word, "type": sub["type"], "options": []}
            container.setdefault("options", []).append(entry)
            container, leaf = entry, sub
        if any(o["type"] in (1, 2) for o in leaf.get("options") or []):
            raise DriverError(f"/{command} : une sous-commande est attendue")
        resolved: dict[str, dict[str, Any]] = {}
        built = []
        wanted = {name: value for name, value in options.items() if value is not None}  # Discord sends no nulls
        if focused is not None:
            wanted[focused[0]] = focused[1]
        for spec in leaf.get("options") or []:
            name = spec["name"]
            if name not in wanted:
                if spec.get("required") and focused is None:
                    raise DriverError(f"/{command} : l'option « {name} » est obligatoire")
                continue
            is_focused = focused is not None and name == focused[0]
            value = wanted.pop(name)
            option = {
                "name": name,
                "type": spec["type"],
                "value": value if is_focused else self._option_value(spec, value, resolved, guild),
            }
            if is_focused:
                if not spec.get("autocomplete"):
                    raise DriverError(f"l'option « {name} » n'a pas d'autocomplétion")
                option["focused"] = True
            built.append(option)
        if wanted:
            raise DriverError(f"/{command} : options inconnues {sorted(wanted)}")
        container["options"] = built
        if resolved:
            data["resolved"] = resolved
        return data

    def _check_available(self, schema: dict[str, Any], user: User, guild: Guild | None, channel: Channel) -> None:
        hidden = self.hidden(schema, user, guild, channel)
        if hidden:
            raise DriverError(hidden)

    @staticmethod
    def hidden(schema: dict[str, Any], user: User, guild: Guild | None, channel: Channel) -> str | None:
        """Why Discord does not show this command to `user` in `channel`, or None when it does: not in
        DMs, or the member lacks its default permissions and no override opened it."""
        contexts = schema.get("contexts")
        if guild is None and (schema.get("dm_permission") is False or (contexts is not None and 1 not in contexts)):
            return f"/{schema['name']} n'existe pas en message privé"
        required = schema.get("default_member_permissions")
        if guild is None or required is None or schema["name"] in guild.command_overrides:
            return None
        if guild.channel_permissions(user.id, channel) & int(required) != int(required):
            return f"Discord ne montre pas /{schema['name']} à {user.username}"
        return None

    def _option_value(
        self, spec: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]], guild: Guild | None
    ) -> Any:
        kind = spec["type"]
        if kind == 3:
            value = str(value)
            if not int(spec.get("min_length", 0)) <= len(value) <= int(spec.get("max_length", 6000)):
                raise DriverError(f"l'option « {spec['name']} » refuse {len(value)} caractères")
        elif kind == 4:
            value = int(value)
        elif kind == 10:
            value = float(value)
        elif kind == 5:
            value = bool(value)
        if kind in (4, 10) and (
            ("min_value" in spec and value < spec["min_value"]) or ("max_value" in spec and value > spec["max_value"])
        ):
            raise DriverError(f"l'option « {spec['name']} » est hors bornes")
        if spec.get("choices") and value not in [choice["value"] for choice in spec["choices"]]:
            raise DriverError(f"« {value} » n'est pas un choix de l'option « {spec['name']} »")
        if kind == 6:
            return self._resolve_user(value, resolved, guild)
        if kind == 7:
            return self._resolve_channel(spec, value, resolved, guild)
        if kind == 8:
            resolved.setdefault("roles", {})[str(value.id)] = value.to_json()
            return str(value.id)
        if kind == 11:
            return self._resolve_attachment(value, resolved)
        return value

    def _resolve_user(self, user: User, resolved: dict[str, dict[str, Any]], guild: Guild | None) -> str:
        resolved.setdefault("users", {})[str(user.id)] = user.to_json()
        if guild is not None and user.id in guild.members:
            member = guild.members[user.id].to_json(permissions=guild.base_permissions(user.id))
            member.pop("user")
            resolved.setdefault("members", {})[str(user.id)] = member
        return str(user.id)

    def _resolve_channel(
        self, spec: dict[str, Any], channel: Channel, resolved: dict[str, dict[str, Any]], guild: Guild | None
    ) -> str:
        allowed = spec.get("channel_types")
        if allowed and channel.type not in allowed:
            raise DriverError(f"le salon #{channel.name} n'est pas du type attendu par « {spec['name']} »")
        data = channel.to_json()
        if guild is not None:
            data["permissions"] = str(guild.channel_permissions(guild.owner_id, channel))
        resolved.setdefault("channels", {})[str(channel.id)] = data
        return str(channel.id)

    def _resolve_attachment(self, upload: Upload, resolved: dict[str, dict[str, Any]]) -> str:
        attachment_id = self.emulator.snowflakes.next()
        self.emulator.attachments[attachment_id] = (upload.filename, upload.data, upload.content_type)
        url = f"{self.emulator.base_url}/attachments/{attachment_id}/{upload.filename}"
        resolved.setdefault("attachments", {})[str(attachment_id)] = {
            "id": str(attachment_id),
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }
        return str(attachment_id)
