"""Kept diagnostics: written only when kept, one a member, on a référent's project record, seen by the
other référents, exported and erased with the member's data; the flow's steps in order."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.errors import UserError
from bot.projects.models import ProjectDraft
from bot.resources.diagnostic.models import Answers
from bot.resources.diagnostic.service import DiagnosticService
from bot.resources.diagnostic.store import DiagnosticStore
from bot.vocabulary import Blocage, Etape, Initiative, Pas, Volet
from tests.support import ManualDateClock

CLERMONT = "63113"
ALEX, DOMINIQUE, SAM = 1, 2, 3


@pytest.fixture
def store(core: Core) -> DiagnosticStore:
    return core.diagnostics.store


@pytest.fixture
def service(core: Core) -> DiagnosticService:
    return core.diagnostics


def answers(collectif: Pas | None = Pas.intentions, *blockers: Blocage) -> Answers:
    return Answers(
        initiative=Initiative.citoyenne,
        etape=Etape.emergence,
        code_insee=CLERMONT,
        steps={Volet.immobilier: None, Volet.participatif: Pas.decouverte, Volet.collectif: collectif},
        blocages=frozenset(blockers or (Blocage.decision,)),
    )


async def a_project(core: Core, *referents: int) -> int:
    draft = ProjectDraft.model_validate({"nom": "Les Tilleuls", "code_insee": CLERMONT, "etape": Etape.emergence})
    project = await core.projects.propose(draft, proposer_id=referents[0], guild_id=1, locale="fr")
    for user_id in referents[1:]:
        await core.db.execute(
            "INSERT INTO project_referents (project_id, user_id) VALUES (?, ?)", (project.id, user_id)
        )
    return project.id


async def count(core: Core, table: str) -> int:
    row = await core.db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_kept_and_read_back(store: DiagnosticStore, clock: ManualDateClock) -> None:
    kept = await store.keep(ALEX, answers(Pas.intentions, Blocage.decision, Blocage.conflits), None)
    assert kept.answers == answers(Pas.intentions, Blocage.decision, Blocage.conflits)
    assert (kept.user_id, kept.project_id, kept.project_name, kept.kept_at) == (ALEX, None, None, clock.now)
    assert await store.own(ALEX) == kept
    assert await store.own(SAM) is None


async def test_keeping_again_replaces(core: Core, store: DiagnosticStore) -> None:
    await store.keep(ALEX, answers(Pas.intentions), None)
    await store.keep(ALEX, answers(None, Blocage.mobiliser), None)
    kept = await store.own(ALEX)
    assert kept is not None and kept.answers.step(Volet.collectif) is None
    assert kept.answers.blocages == {Blocage.mobiliser}
    assert (await count(core, "diagnostics"), await count(core, "diagnostic_blockers")) == (1, 1)


async def test_on_the_project_record_for_the_other_referents(core: Core, store: DiagnosticStore) -> None:
    project_id = await a_project(core, ALEX, DOMINIQUE)
    kept = await store.keep(ALEX, answers(), project_id)
    assert kept.project_name == "Les Tilleuls"
    assert await store.for_referent(DOMINIQUE) == kept
    assert await store.for_referent(SAM) is None
    assert await core.diagnostics.kept(DOMINIQUE) == kept
    assert await store.referent_projects(DOMINIQUE) == [(project_id, "Les Tilleuls")]


async def test_forgotten(core: Core, store: DiagnosticStore) -> None:
    await store.keep(ALEX, answers(), None)
    assert await store.forget(ALEX)
    assert not await store.forget(ALEX)
    assert (await count(core, "diagnostics"), await count(core, "diagnostic_blockers")) == (0, 0)


async def test_exported_and_erased_with_my_data(core: Core, store: DiagnosticStore) -> None:
    project_id = await a_project(core, ALEX, DOMINIQUE)
    await store.keep(ALEX, answers(), project_id)
    await store.keep(SAM, answers(), None)
    data = await core.member_data.export(ALEX)
    assert [row["step_collectif"] for row in data["diagnostics"]] == ["intentions"]
    assert [row["blocker"] for row in data["diagnostics_blocages"]] == ["decision"]
    await core.member_data.erase(ALEX)
    assert await store.own(ALEX) is None
    assert await store.for_referent(DOMINIQUE) is None  # it was Alex's, even on the project's record
    assert await store.own(SAM) is not None
    assert await count(core, "diagnostic_blockers") == 1


async def test_the_flow_writes_nothing_until_kept(core: Core, service: DiagnosticService) -> None:
    clermont = core.geo.commune(CLERMONT)
    assert clermont is not None
    shown = await service.prefill(ALEX)
    assert service.draft(ALEX) is None  # opening the form holds nothing
    service.save_project(ALEX, shown, "citoyenne", "emergence", clermont)
    service.save_steps(ALEX, {Volet.participatif: "decouverte", Volet.collectif: "intentions"})
    diagnosis = await service.save_blockers(ALEX, {Volet.collectif: ["decision"]})
    assert diagnosis.answers == answers()
    assert diagnosis.commune == clermont
    assert await count(core, "diagnostics") == 0
    kept = await service.keep(ALEX, None)
    assert kept.answers == answers()
    assert service.draft(ALEX) is None
    # A new run starts from what was kept.
    assert (await service.prefill(ALEX)).steps[Volet.collectif] is Pas.intentions


async def test_steps_in_order_and_answers_that_fit_their_strand(core: Core, service: DiagnosticService) -> None:
    clermont = core.geo.commune(CLERMONT)
    assert clermont is not None
    with pytest.raises(UserError, match="plus en mémoire"):
        service.save_steps(ALEX, {})
    service.save_project(ALEX, await service.prefill(ALEX), "citoyenne", "emergence", clermont)
    with pytest.raises(UserError, match="plus en mémoire"):
        await service.save_blockers(ALEX, {})
    with pytest.raises(UserError, match="pas une étape de ce volet"):
        service.save_steps(ALEX, {Volet.immobilier: "intentions"})
    service.save_steps(ALEX, {})
    with pytest.raises(UserError, match="ne concerne pas ce volet"):
        await service.save_blockers(ALEX, {Volet.immobilier: ["decision"]})
    with pytest.raises(UserError):
        await service.save_blockers(ALEX, {Volet.collectif: ["n_importe_quoi"]})
    await service.save_blockers(ALEX, {})
    with pytest.raises(UserError, match="référent"):
        await service.keep(ALEX, 12345)
    assert await count(core, "diagnostics") == 0


async def test_a_redo_goes_through_every_step_again(core: Core, service: DiagnosticService) -> None:
    clermont = core.geo.commune(CLERMONT)
    assert clermont is not None
    shown = await service.prefill(ALEX)
    service.save_project(ALEX, shown, "citoyenne", "emergence", clermont)
    service.save_steps(ALEX, {})
    await service.save_blockers(ALEX, {})
    redo = service.save_project(ALEX, shown, "institutionnelle", "realisation", clermont)
    assert (redo.done, redo.next_step) == (1, 2)


async def test_a_run_under_way_is_forgotten_with_my_data(core: Core, service: DiagnosticService) -> None:
    clermont = core.geo.commune(CLERMONT)
    assert clermont is not None
    service.save_project(ALEX, await service.prefill(ALEX), "citoyenne", "emergence", clermont)
    service.save_project(SAM, await service.prefill(SAM), "citoyenne", "emergence", clermont)
    await core.member_data.erase(ALEX)
    assert service.draft(ALEX) is None
    assert service.draft(SAM) is not None
