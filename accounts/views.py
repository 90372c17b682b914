from django.contrib.auth import views as auth_views

from accounts.devices import describe_device
from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        previous = {
            "at": user.last_login.isoformat() if user.last_login else None,
            "device": user.last_login_device,
        }
        response = super().form_valid(form)  # rotates the session key, stamps last_login
        self.request.session["previous_login"] = previous
        user.last_login_device = describe_device(self.request.headers.get("User-Agent", ""))
        user.save(update_fields=["last_login_device"])
        return response


class LogoutView(auth_views.LogoutView):
    pass
