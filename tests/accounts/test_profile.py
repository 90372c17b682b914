"""Mi perfil, through the one confirmation dialog: form → code → done, exactly once."""

from django.core import mail

from accounts.models import AuditEvent, Device, SecurityQuestion, User
from core.notifications import LocmemSmsBackend
from tests.auth import last_code, op_id, sign_in
from tests.conftest import CommittingClient


def test_the_profile_lists_the_manuals_options(me):
    html = me.get("/perfil/").content.decode()
    for text in ("Cambiar contraseña", "Personalizar usuario", "Dispositivos", "Soporte", "Tema"):
        assert text in html


def test_changing_the_password_takes_the_code_and_keeps_this_session(me, member, password):
    other = CommittingClient()
    sign_in(other, "mariaperez", password)
    step = me.post(
        "/perfil/contrasena/",
        {"step": "form", "current": password, "new": "Nueva#Clave26", "confirm": "Nueva#Clave26"},
    )
    html = step.content.decode()
    assert "Factor de seguridad" in html
    assert "El código expira en" in html
    done = me.post(
        "/perfil/contrasena/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert "Se ha cambiado la contraseña correctamente." in done.content.decode()
    assert User.objects.get(pk=member.user.pk).check_password("Nueva#Clave26")
    assert me.get("/posicion-consolidada/").status_code == 200  # this session stays
    assert other.get("/posicion-consolidada/").status_code == 302  # the others end
    assert "contraseña de tu usuario fue actualizada" in mail.outbox[-1].body


def test_a_wrong_current_password_stops_at_the_form(me, member):
    response = me.post(
        "/perfil/contrasena/",
        {
            "step": "form",
            "current": "Otra#Cosa123",
            "new": "Nueva#Clave26",
            "confirm": "Nueva#Clave26",
        },
    )
    assert "La contraseña actual no es correcta." in response.content.decode()
    assert LocmemSmsBackend.outbox[-1].body.count("Cambio de contraseña") == 0


def test_a_double_submit_changes_once_and_shows_the_same_result(me, member):
    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    html = step.content.decode()
    assert "Verifica que todos los datos estén correctos" in html
    assert "mariafer26" in html
    code, op = last_code(), op_id(step)
    first = me.post("/perfil/usuario/", {"step": "confirm", "op": op, "answer": code})
    second = me.post("/perfil/usuario/", {"step": "confirm", "op": op, "answer": code})
    assert "Tu nuevo usuario es mariafer26." in first.content.decode()
    assert "Tu nuevo usuario es mariafer26." in second.content.decode()
    assert AuditEvent.objects.filter(event="username_changed").count() == 1


def test_htmx_steps_swap_only_the_dialog(me):
    response = me.post(
        "/perfil/usuario/", {"step": "form", "username": "mariafer26"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'name="step" value="confirm"' in html
    assert "HX-Request" in response["Vary"]


def test_a_forged_or_foreign_operation_id_is_404(me, client):
    assert (
        me.post("/perfil/usuario/", {"step": "confirm", "op": "0" * 32, "answer": "1"}).status_code
        == 404
    )


def test_cancel_goes_back_to_the_form(me):
    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    back = me.post("/perfil/usuario/", {"step": "cancel", "op": op_id(step)})
    assert 'name="step" value="form"' in back.content.decode()
    late = me.post(
        "/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert "La operación no se realizó" in late.content.decode()
    assert not User.objects.filter(username="mariafer26").exists()


def test_personal_data_change_confirms_on_the_old_channel_and_notifies_it(me, member):
    step = me.post(
        "/perfil/datos/",
        {
            "step": "form",
            "email": "nuevo@example.com",
            "mobile_phone": "0998887777",
            "address": "Calle Nueva 1",
        },
    )
    assert LocmemSmsBackend.outbox[-1].to == "+593991234567"  # the code goes to the current phone
    me.post("/perfil/datos/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    member.refresh_from_db()
    assert (member.email, member.mobile_phone) == ("nuevo@example.com", "0998887777")
    assert LocmemSmsBackend.outbox[-1].to == "+593991234567"  # and the old phone is told
    assert "datos de contacto" in LocmemSmsBackend.outbox[-1].body


def test_security_questions_can_be_changed(me, member):
    ids = list(SecurityQuestion.objects.values_list("pk", flat=True)[:3])
    step = me.post(
        "/perfil/preguntas/",
        {
            "step": "form",
            "question_1": ids[0],
            "answer_1": "Uno",
            "question_2": ids[1],
            "answer_2": "Dos",
            "question_3": ids[2],
            "answer_3": "Tres",
        },
    )
    me.post("/perfil/preguntas/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert member.user.security_answers.count() == 3


def test_devices_are_listed_and_removed_with_a_reason(client, member, password):
    sign_in(client, "mariaperez", password, remember=True)
    device = Device.objects.get(user=member.user)
    html = client.get("/perfil/dispositivos/").content.decode()
    assert "Mi laptop" in html and "Fecha activo" in html
    url = f"/perfil/dispositivos/{device.public_id}/eliminar/"
    step = client.post(url, {"step": "form", "reason": "Lo vendí"})
    assert "Lo vendí" in step.content.decode()
    done = client.post(url, {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert "El proceso se ha realizado con éxito." in done.content.decode()
    device.refresh_from_db()
    assert device.removed_reason == "Lo vendí" and device.removed_at is not None


def test_another_members_device_is_404(me, other_member):
    device = Device.objects.create(user=other_member.user, token_hash="x" * 64, alias="Ajeno")
    assert me.get(f"/perfil/dispositivos/{device.public_id}/eliminar/").status_code == 404
    assert (
        me.post(
            f"/perfil/dispositivos/{device.public_id}/eliminar/", {"step": "form", "reason": "x"}
        ).status_code
        == 404
    )


def test_subscriptions_and_theme_are_saved(me, member):
    me.post("/perfil/notificaciones/", {"subscribed_statement": "on"})
    me.post("/perfil/tema/", {"theme": "dark"})
    user = User.objects.get(pk=member.user.pk)
    assert user.subscribed_statement and not user.subscribed_news
    assert user.theme == "dark"
    assert 'data-theme="dark"' in me.get("/perfil/").content.decode()


def test_the_security_activity_shows_the_members_own_events(me, member, other_member):
    from accounts.audit import audit_log

    audit_log(event="login_failed", user=other_member.user)
    html = me.get("/perfil/actividad/").content.decode()
    assert "Ingreso exitoso" in html
    assert html.count("Contraseña incorrecta") == 0


def test_the_bolivian_profile_sets_a_transaction_pin_with_a_code(me, member, cooperative):
    from datetime import date

    from core.models import Cooperative
    from core.profile import cooperative_activate

    cooperative_activate(cooperative=Cooperative.objects.get(slug="progreso-bo"))
    assert "Cambiar PIN" in me.get("/perfil/").content.decode()
    member.birth_date = date(1990, 5, 17)
    member.save()
    for bad, message in (
        ("1234", "consecutivos"),
        ("7777", "repetidos"),
        ("1705", "fecha de nacimiento"),
        ("12a4", "4 dígitos"),
    ):
        response = me.post("/perfil/pin/", {"step": "form", "pin": bad, "confirm": bad})
        assert message in response.content.decode(), bad
    step = me.post("/perfil/pin/", {"step": "form", "pin": "4826", "confirm": "4826"})
    me.post("/perfil/pin/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    user = User.objects.get(pk=member.user.pk)
    assert user.transaction_pin and "4826" not in user.transaction_pin
    # Money operations now confirm with the PIN; changing the profile still takes a code.
    from accounts import challenges

    assert challenges.method_for("transfer") == "pin"
    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    assert "Ingresa el código de verificación" in step.content.decode()


def test_a_wrong_code_in_the_dialog_says_so_and_allows_another_try(me, member):
    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    wrong = me.post("/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": "000000"})
    assert "El código ingresado es incorrecto. Te quedan 2 intentos." in wrong.content.decode()
    done = me.post(
        "/perfil/usuario/", {"step": "confirm", "op": op_id(step), "answer": last_code()}
    )
    assert "Tu nuevo usuario es mariafer26." in done.content.decode()


def test_resending_too_soon_is_explained_in_the_dialog(me):
    step = me.post("/perfil/usuario/", {"step": "form", "username": "mariafer26"})
    again = me.post("/perfil/usuario/", {"step": "resend", "op": op_id(step)})
    assert "Espera unos segundos" in again.content.decode()


def test_changing_the_security_image_takes_a_code_and_tells_the_member(me, member):
    from accounts.models import SecurityImage

    cafe = SecurityImage.objects.get(slug="cafe")
    step = me.post("/perfil/imagen/", {"step": "form", "image": cafe.pk})
    me.post("/perfil/imagen/", {"step": "confirm", "op": op_id(step), "answer": last_code()})
    assert User.objects.get(pk=member.user.pk).security_image == cafe
    assert "tu imagen de seguridad fue cambiada" in LocmemSmsBackend.outbox[-1].body
